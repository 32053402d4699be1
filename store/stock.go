package store

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// ErrSoldOut is returned when a checkout wants more of a product than its
// stock holds; nothing is created.
var ErrSoldOut = errors.New("sold out")

// SoldOutError names the product that ran out.
type SoldOutError struct {
	SKU, Name string
	Left      int
}

func (e *SoldOutError) Error() string {
	return fmt.Sprintf("product %s: %d left: %v", e.SKU, e.Left, ErrSoldOut)
}

func (e *SoldOutError) Unwrap() error { return ErrSoldOut }

// holdStock takes the order's quantities of its counted products, all or
// nothing (the caller's transaction rolls back on error). Each UPDATE is
// guarded by stock >= quantity, so concurrent checkouts never take stock
// below zero. It marks the items it took and the order as holding them.
func holdStock(tx *gorm.DB, o *models.Order) error {
	for i := range o.Items {
		it := &o.Items[i]
		if it.ProductID == nil {
			continue
		}
		res := tx.Model(&models.Product{}).Where("id = ? AND stock IS NOT NULL AND stock >= ?", *it.ProductID, it.Quantity).
			Update("stock", gorm.Expr("stock - ?", it.Quantity))
		if res.Error != nil {
			return fmt.Errorf("hold stock of %s: %w", it.SKU, res.Error)
		}
		if res.RowsAffected == 1 {
			it.Stocked, o.StockHeld = true, true
			continue
		}
		var p models.Product
		if err := tx.Select("stock").First(&p, *it.ProductID).Error; err != nil {
			return fmt.Errorf("stock of %s: %w", it.SKU, err)
		}
		if p.Stock != nil {
			return &SoldOutError{SKU: it.SKU, Name: it.Name, Left: *p.Stock}
		}
	}
	return nil
}

// moveStock applies a change's stock move to the order's stocked items.
// Taking again (a payment after the order gave its stock back) never goes
// below zero: a shortfall flags the order oversold.
func moveStock(tx *gorm.DB, o *models.Order, move models.StockMove) (*models.OrderEvent, error) {
	if move != models.StockTake && move != models.StockGiveBack {
		return nil, nil
	}
	var items []models.OrderItem
	if err := tx.Where("order_id = ? AND stocked = ?", o.ID, true).Order("id").Find(&items).Error; err != nil {
		return nil, fmt.Errorf("items of %s: %w", o.OutTradeNo, err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	if move == models.StockGiveBack {
		for _, it := range items {
			if err := tx.Model(&models.Product{}).Where("id = ? AND stock IS NOT NULL", *it.ProductID).
				Update("stock", gorm.Expr("stock + ?", it.Quantity)).Error; err != nil {
				return nil, fmt.Errorf("give back stock of %s: %w", it.SKU, err)
			}
		}
		return &models.OrderEvent{Kind: models.EventStatus, OK: true, Actor: "system", Summary: "stock given back"}, nil
	}
	short := ""
	for _, it := range items {
		res := tx.Model(&models.Product{}).Where("id = ? AND stock IS NOT NULL AND stock >= ?", *it.ProductID, it.Quantity).
			Update("stock", gorm.Expr("stock - ?", it.Quantity))
		if res.Error != nil {
			return nil, fmt.Errorf("take stock of %s: %w", it.SKU, res.Error)
		}
		if res.RowsAffected == 0 {
			if err := tx.Model(&models.Product{}).Where("id = ? AND stock IS NOT NULL", *it.ProductID).Update("stock", 0).Error; err != nil {
				return nil, err
			}
			short += " " + it.SKU
		}
	}
	cols := map[string]any{"stock_held": true}
	summary := "stock taken again for the late payment"
	if short != "" {
		o.Flags = withFlag(o, models.FlagOversold)
		cols["flags"] = o.Flags
		summary = "oversold: the stock of" + short + " had run out before this payment"
	}
	o.StockHeld = true
	if err := tx.Model(&models.Order{ID: o.ID}).Updates(cols).Error; err != nil {
		return nil, err
	}
	return &models.OrderEvent{Kind: models.EventStatus, OK: short == "", Actor: "system", Summary: summary}, nil
}

func withFlag(o *models.Order, f string) string {
	switch {
	case o.HasFlag(f):
		return o.Flags
	case o.Flags == "":
		return f
	}
	return o.Flags + "," + f
}

// passStock makes a renewal's successor hold what its predecessor held:
// the same products and quantities, no stock moved.
func passStock(tx *gorm.DB, prev, o *models.Order) error {
	var held []models.OrderItem
	if err := tx.Select("sku").Where("order_id = ? AND stocked = ?", prev.ID, true).Find(&held).Error; err != nil {
		return fmt.Errorf("items of %s: %w", prev.OutTradeNo, err)
	}
	stocked := make(map[string]bool, len(held))
	for _, it := range held {
		stocked[it.SKU] = true
	}
	for i := range o.Items {
		o.Items[i].Stocked = stocked[o.Items[i].SKU]
	}
	o.StockHeld = len(held) > 0
	return nil
}
