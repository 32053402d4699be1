package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// CreateOrder inserts a new order with its first event.
func (s *Store) CreateOrder(ctx context.Context, o *models.Order, ev *models.OrderEvent) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Omit("Product").Create(o).Error; err != nil {
			return fmt.Errorf("create order %s: %w", o.OutTradeNo, err)
		}
		return addEvent(tx, o, ev)
	})
}

func addEvent(tx *gorm.DB, o *models.Order, ev *models.OrderEvent) error {
	if ev == nil {
		return nil
	}
	if o != nil {
		ev.OrderID, ev.OutTradeNo = &o.ID, o.OutTradeNo
	}
	if err := tx.Omit("Order").Create(ev).Error; err != nil {
		return fmt.Errorf("add %s event for %s: %w", ev.Kind, ev.OutTradeNo, err)
	}
	return nil
}

// addEvents writes an order's events in one statement.
func addEvents(tx *gorm.DB, o *models.Order, evs []*models.OrderEvent) error {
	if len(evs) == 0 {
		return nil
	}
	for _, ev := range evs {
		ev.OrderID, ev.OutTradeNo = &o.ID, o.OutTradeNo
	}
	if err := tx.Omit("Order").Create(evs).Error; err != nil {
		return fmt.Errorf("add %d events for %s: %w", len(evs), o.OutTradeNo, err)
	}
	return nil
}

// AddEvent appends an event; o may be nil for a message about an unknown order.
func (s *Store) AddEvent(ctx context.Context, o *models.Order, ev *models.OrderEvent) error {
	return s.write(ctx, func(tx *gorm.DB) error { return addEvent(tx, o, ev) })
}

// OrderByToken finds an order by its public token.
func (s *Store) OrderByToken(ctx context.Context, token string) (*models.Order, error) {
	var o models.Order
	if err := s.db.WithContext(ctx).Where("token = ?", token).First(&o).Error; err != nil {
		return nil, notFound(err, "order by token")
	}
	return &o, nil
}

// OrderByOutTradeNo finds an order by out_trade_no.
func (s *Store) OrderByOutTradeNo(ctx context.Context, no string) (*models.Order, error) {
	var o models.Order
	if err := s.db.WithContext(ctx).Where("out_trade_no = ?", no).First(&o).Error; err != nil {
		return nil, notFound(err, "order "+no)
	}
	return &o, nil
}

// Events returns an order's timeline, oldest first.
func (s *Store) Events(ctx context.Context, orderID uint) ([]models.OrderEvent, error) {
	var evs []models.OrderEvent
	if err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("events of order %d: %w", orderID, err)
	}
	return evs, nil
}

// Change decides, from the order as it is inside the write transaction,
// the columns to set (nil leaves the order as it is) and the events to
// record, which are written either way in the same transaction — so a
// message and what it did to the order commit together.
type Change func(cur *models.Order) (set map[string]any, events []*models.OrderEvent)

// UpdateOrder applies change to one order and returns the order as it is
// after; applied reports whether the order changed. All writes go through
// one writer (write.go), so change sees the order as no concurrent writer
// can alter it before the update; the UPDATE still repeats the status it
// saw as a guard, so of N racing transitions exactly one applies.
func (s *Store) UpdateOrder(ctx context.Context, no string, change Change) (o *models.Order, applied bool, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		var cur models.Order
		if err := tx.Where("out_trade_no = ?", no).First(&cur).Error; err != nil {
			return notFound(err, "order "+no)
		}
		set, events := change(&cur)
		if set != nil {
			set["updated_at"] = time.Now().UTC()
			// Model(&cur) writes the new values back into cur as well.
			res := tx.Model(&cur).Where("status = ?", cur.Status).Updates(set)
			if res.Error != nil {
				return fmt.Errorf("update order %s: %w", no, res.Error)
			}
			if applied = res.RowsAffected == 1; !applied {
				// The guard did not match; cur may hold values never written.
				if err := tx.First(&cur, cur.ID).Error; err != nil {
					return fmt.Errorf("reload order %s: %w", no, err)
				}
			}
		}
		o = &cur
		return addEvents(tx, &cur, events)
	})
	if err != nil {
		return nil, false, err
	}
	return o, applied, nil
}

// DueOrders returns unpaid orders whose next query time has come, oldest due first.
func (s *Store) DueOrders(ctx context.Context, now time.Time, limit int) ([]models.Order, error) {
	var os []models.Order
	err := s.db.WithContext(ctx).
		Where("status = ? AND next_query_at <= ?", models.StatusNotPay, now.UTC()).
		Order("next_query_at").Limit(limit).Find(&os).Error
	if err != nil {
		return nil, fmt.Errorf("due orders: %w", err)
	}
	return os, nil
}

// ScheduleQuery sets when the reconciler next asks WeChat about an unpaid
// order and counts the query just made. A paid or closed order is left alone.
func (s *Store) ScheduleQuery(ctx context.Context, id uint, next time.Time) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.Order{}).Where("id = ? AND status = ?", id, models.StatusNotPay).
			Updates(map[string]any{"next_query_at": next.UTC(), "queries": gorm.Expr("queries + 1")}).Error
	})
	if err != nil {
		return fmt.Errorf("schedule query of order %d: %w", id, err)
	}
	return nil
}

// PendingPrepays returns orders whose unifiedorder outcome was never
// recorded (the process stopped mid-call) and that were created before cutoff.
func (s *Store) PendingPrepays(ctx context.Context, cutoff time.Time, limit int) ([]models.Order, error) {
	var os []models.Order
	err := s.db.WithContext(ctx).
		Where("status = ? AND prepay = ? AND created_at < ?", models.StatusNotPay, models.PrepayPending, cutoff.UTC()).
		Order("id").Limit(limit).Find(&os).Error
	if err != nil {
		return nil, fmt.Errorf("pending prepays: %w", err)
	}
	return os, nil
}

// CountOpenOrders counts a client's unpaid orders that can still be paid.
func (s *Store) CountOpenOrders(ctx context.Context, clientKey string, now time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Order{}).
		Where("client_key = ? AND status = ? AND expires_at > ?", clientKey, models.StatusNotPay, now.UTC()).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count open orders of %s: %w", clientKey, err)
	}
	return n, nil
}
