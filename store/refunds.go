package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// ErrRefundRefused wraps why a refund was not started (models.ErrOver…).
var ErrRefundRefused = errors.New("refund refused")

// CreateRefund starts r on the order no in one transaction: the order's
// row is read (locked on PostgreSQL; SQLite has one writer), its
// StartRefund reserves the amount or refuses, and r is inserted only if it
// did. Concurrent refunds of one order therefore never reserve more than
// was paid. When r names a merchant refund number the order already has,
// nothing is written and that refund is returned as existing.
func (s *Store) CreateRefund(ctx context.Context, no string, r *models.Refund) (o *models.Order, existing *models.Refund, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		var cur models.Order
		if err := s.forUpdate(tx).Where("out_trade_no = ?", no).First(&cur).Error; err != nil {
			return notFound(err, "order "+no)
		}
		if r.MerchantRefundNo != nil {
			var prev models.Refund
			err := tx.Where("order_id = ? AND merchant_refund_no = ?", cur.ID, *r.MerchantRefundNo).Limit(1).Find(&prev).Error
			if err != nil {
				return fmt.Errorf("find refund %s: %w", *r.MerchantRefundNo, err)
			}
			if prev.ID != 0 {
				existing, o = &prev, &cur
				return nil
			}
		}
		ch, rerr := cur.StartRefund(r)
		if rerr != nil {
			return fmt.Errorf("%w: %w", ErrRefundRefused, rerr)
		}
		after := ch.After
		after.UpdatedAt = time.Now().UTC()
		if err := tx.Model(&models.Order{ID: cur.ID}).Select(append(ch.Columns, "updated_at")).Updates(&after).Error; err != nil {
			return fmt.Errorf("reserve refund on %s: %w", no, err)
		}
		if err := bumpDays(tx, &cur, &after); err != nil {
			return err
		}
		r.OrderID, r.OutTradeNo = cur.ID, cur.OutTradeNo
		if r.Status == "" {
			r.Status = models.RefundProcessing
		}
		if err := tx.Omit("Order").Create(r).Error; err != nil {
			return fmt.Errorf("create refund %s: %w", r.OutRefundNo, err)
		}
		o = &after
		return addEvents(tx, o, ch.Events)
	})
	if err != nil {
		return nil, nil, err
	}
	return o, existing, nil
}

// EndRefund applies a refund's final state, once: the refund row moves
// from PROCESSING to status (guarded, so of racing reports one applies)
// and the order changes as decide says (models.Order.EndRefund, and any
// merchant notification it owes), in one transaction. applied is false
// when the refund was final already.
func (s *Store) EndRefund(ctx context.Context, outRefundNo string, status models.RefundStatus, refundID string,
	at time.Time, decide func(o models.Order, r models.Refund, status models.RefundStatus) models.Change) (o *models.Order, r *models.Refund, applied bool, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		var cur models.Refund
		if err := s.forUpdate(tx).Where("out_refund_no = ?", outRefundNo).First(&cur).Error; err != nil {
			return notFound(err, "refund "+outRefundNo)
		}
		r = &cur
		if cur.Status.Final() || !status.Final() {
			return nil
		}
		cols := map[string]any{"status": status, "updated_at": time.Now().UTC()}
		if refundID != "" {
			cols["refund_id"] = refundID
		}
		if status == models.RefundSuccess {
			t := at.UTC()
			cols["succeeded_at"] = &t
		}
		res := tx.Model(&models.Refund{ID: cur.ID}).Where("status = ?", models.RefundProcessing).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("end refund %s: %w", outRefundNo, res.Error)
		}
		if res.RowsAffected != 1 {
			return nil
		}
		ord, _, err := s.applyChange(tx, cur.OutTradeNo, func(o models.Order) models.Change { return decide(o, cur, status) })
		if err != nil {
			return err
		}
		o, applied = ord, true
		after := cur
		after.Status = status
		r = &after
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	return o, r, applied, nil
}

// RefundByOutRefundNo finds a refund by our out_refund_no.
func (s *Store) RefundByOutRefundNo(ctx context.Context, no string) (*models.Refund, error) {
	var r models.Refund
	if err := s.db.WithContext(ctx).Where("out_refund_no = ?", no).First(&r).Error; err != nil {
		return nil, notFound(err, "refund "+no)
	}
	return &r, nil
}

// ScheduleRefund sets when the reconciler next looks at a PROCESSING
// refund, counts the look, and keeps WeChat's refund_id once known.
func (s *Store) ScheduleRefund(ctx context.Context, id uint, next time.Time, refundID string) error {
	cols := map[string]any{"next_query_at": next.UTC(), "queries": gorm.Expr("queries + 1")}
	if refundID != "" {
		cols["refund_id"] = refundID
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.Refund{}).Where("id = ? AND status = ?", id, models.RefundProcessing).Updates(cols).Error
	})
}

// DueRefunds claims PROCESSING refunds whose next look has come, oldest
// due first; on PostgreSQL they are leased for ClaimLease, as orders are.
func (s *Store) DueRefunds(ctx context.Context, now time.Time, limit int) ([]models.Refund, error) {
	var rs []models.Refund
	var err error
	if s.pg == nil {
		err = s.db.WithContext(ctx).Where("status = ? AND next_query_at <= ?", models.RefundProcessing, now.UTC()).
			Order("next_query_at").Limit(limit).Find(&rs).Error
	} else {
		err = s.db.WithContext(ctx).Raw("UPDATE refunds SET next_query_at = ? WHERE id IN (SELECT id FROM refunds "+
			"WHERE status = ? AND next_query_at <= ? ORDER BY next_query_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING *",
			now.Add(ClaimLease).UTC(), models.RefundProcessing, now.UTC(), limit).Scan(&rs).Error
	}
	if err != nil {
		return nil, fmt.Errorf("due refunds: %w", err)
	}
	return rs, nil
}

// Refunds lists an order's refunds, oldest first.
func (s *Store) Refunds(ctx context.Context, orderID uint) ([]models.Refund, error) {
	var rs []models.Refund
	if err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("refunds of order %d: %w", orderID, err)
	}
	return rs, nil
}
