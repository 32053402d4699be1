package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// CreateWxOrder records a further WeChat order of an order before it is
// placed (Prepay pending), with its first event: if the process stops
// mid-call, the reconciler still queries it.
func (s *Store) CreateWxOrder(ctx context.Context, o *models.Order, w *models.WxOrder, ev *models.OrderEvent) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		w.OrderID = o.ID
		if err := tx.Create(w).Error; err != nil {
			return fmt.Errorf("create WeChat order %s: %w", w.OutTradeNo, err)
		}
		return addEvent(tx, o, ev)
	})
}

// PlacedWxOrder records WeChat's answer to a WxOrder's placement.
func (s *Store) PlacedWxOrder(ctx context.Context, w *models.WxOrder) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.WxOrder{}).Where("id = ?", w.ID).
			Updates(map[string]any{"prepay": w.Prepay, "prepay_id": w.PrepayID, "pay_url": w.PayURL, "fail_reason": w.FailReason}).Error
	})
	if err != nil {
		return fmt.Errorf("record WeChat order %s: %w", w.OutTradeNo, err)
	}
	return nil
}

// WxOrders lists an order's further WeChat orders, oldest first.
func (s *Store) WxOrders(ctx context.Context, orderID uint) ([]models.WxOrder, error) {
	var ws []models.WxOrder
	if err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("WeChat orders of order %d: %w", orderID, err)
	}
	return ws, nil
}

// OrderByTradeNo finds the order a WeChat out_trade_no belongs to: the
// order's own number or one of its WxOrders'.
func (s *Store) OrderByTradeNo(ctx context.Context, no string) (*models.Order, error) {
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return o, err
	}
	var w models.WxOrder
	if werr := s.db.WithContext(ctx).Where("out_trade_no = ?", no).First(&w).Error; werr != nil {
		return nil, notFound(werr, "order "+no)
	}
	var po models.Order
	if perr := s.db.WithContext(ctx).First(&po, w.OrderID).Error; perr != nil {
		return nil, notFound(perr, "order of WeChat order "+no)
	}
	return &po, nil
}
