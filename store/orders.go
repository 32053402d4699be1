package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// CreateOrder inserts a new order with its first event.
// An order of the shop's products holds their stock (see holdStock): when
// some product has too little left it fails with a *SoldOutError and
// nothing is created.
func (s *Store) CreateOrder(ctx context.Context, o *models.Order, ev *models.OrderEvent) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := holdStock(tx, o); err != nil {
			return err
		}
		if err := tx.Omit("Product").Create(o).Error; err != nil {
			return fmt.Errorf("create order %s: %w", o.OutTradeNo, err)
		}
		if err := bumpDays(tx, nil, o); err != nil {
			return err
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

// UpdateOrder applies a transition to one order and returns the order as it
// is after; applied reports whether the order changed. decide sees the
// order as it is inside the write transaction (all writes go through one
// writer, so no concurrent writer alters it before the update); its events
// are written either way, in the same transaction — so a message and what
// it did to the order commit together. The UPDATE still repeats the status
// decide saw as a guard, so of N racing transitions exactly one applies.
func (s *Store) UpdateOrder(ctx context.Context, no string, decide func(cur models.Order) models.Change) (o *models.Order, applied bool, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		o, applied, err = s.applyChange(tx, no, decide)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return o, applied, nil
}

// CreateSuccessor creates o, with its first event, as the order that
// replaces the order prevNo — in one transaction with decide's change to
// that order. When decide changes nothing (it was replaced already, or
// paid), o is not created. It returns the previous order as it is after.
func (s *Store) CreateSuccessor(ctx context.Context, prevNo string, o *models.Order, ev *models.OrderEvent,
	decide func(prev models.Order) models.Change) (prev *models.Order, created bool, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		var move models.StockMove
		if prev, created, move, err = s.applyChangeMove(tx, prevNo, decide); err != nil || !created {
			return err
		}
		if move == models.StockPassOn {
			if err := passStock(tx, prev, o); err != nil {
				return err
			}
		} else if err := holdStock(tx, o); err != nil {
			return err
		}
		if err := tx.Omit("Product").Create(o).Error; err != nil {
			return fmt.Errorf("create order %s: %w", o.OutTradeNo, err)
		}
		if err := bumpDays(tx, nil, o); err != nil {
			return err
		}
		return addEvent(tx, o, ev)
	})
	if err != nil {
		return nil, false, err
	}
	return prev, created, nil
}

func (s *Store) applyChange(tx *gorm.DB, no string, decide func(cur models.Order) models.Change) (*models.Order, bool, error) {
	o, applied, _, err := s.applyChangeMove(tx, no, decide)
	return o, applied, err
}

// applyChangeMove is applyChange, also reporting the stock move of the
// change when it applied; a take or give-back is done here, StockPassOn is
// the caller's (CreateSuccessor).
func (s *Store) applyChangeMove(tx *gorm.DB, no string, decide func(cur models.Order) models.Change) (*models.Order, bool, models.StockMove, error) {
	var cur models.Order
	if err := s.forUpdate(tx).Where("out_trade_no = ?", no).First(&cur).Error; err != nil {
		return nil, false, 0, notFound(err, "order "+no)
	}
	ch := decide(cur)
	o, applied := &cur, false
	if ch.Changed() {
		after := ch.After
		after.UpdatedAt = time.Now().UTC()
		res := tx.Model(&models.Order{ID: cur.ID}).Where("status = ?", cur.Status).
			Select(append(ch.Columns, "updated_at")).Updates(&after)
		if res.Error != nil {
			return nil, false, 0, fmt.Errorf("update order %s: %w", no, res.Error)
		}
		if applied = res.RowsAffected == 1; applied {
			o = &after
			if err := bumpDays(tx, &cur, o); err != nil {
				return nil, false, 0, err
			}
			if err := s.pg.notifyChanged(tx, no); err != nil {
				return nil, false, 0, err
			}
			if err := addDeliveries(tx, o, ch.Deliveries); err != nil {
				return nil, false, 0, err
			}
			ev, err := moveStock(tx, o, ch.Stock)
			if err != nil {
				return nil, false, 0, err
			}
			if ev != nil {
				ch.Events = append(ch.Events, ev)
			}
		}
	}
	move := models.StockKeep
	if applied {
		move = ch.Stock
	}
	return o, applied, move, addEvents(tx, o, ch.Events)
}

// openWhere selects a client's open orders: a range of
// idx_orders_client_status, whatever the number of unpaid orders.
const openWhere = "client_key = ? AND status = ? AND expires_at > ?"

// CountOpenOrders counts a client's unpaid orders that can still be paid.
func (s *Store) CountOpenOrders(ctx context.Context, clientKey string, now time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Order{}).
		Where(openWhere, clientKey, models.StatusNotPay, now.UTC()).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count open orders of %s: %w", clientKey, err)
	}
	return n, nil
}

// RecordRefusal counts a refused notification against the order no and
// keeps ev in its timeline while fewer than keep refusals were counted: a
// flood of forged notifications costs one counter, not the database.
func (s *Store) RecordRefusal(ctx context.Context, no string, ev *models.OrderEvent, keep int) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var o models.Order
		if err := s.forUpdate(tx).Select("id", "out_trade_no", "refused_notifies").Where("out_trade_no = ?", no).First(&o).Error; err != nil {
			return notFound(err, "order "+no)
		}
		if err := tx.Model(&models.Order{ID: o.ID}).UpdateColumn("refused_notifies", gorm.Expr("refused_notifies + 1")).Error; err != nil {
			return fmt.Errorf("count refusal of %s: %w", no, err)
		}
		if o.RefusedNotifies >= keep {
			return nil
		}
		return addEvent(tx, &o, ev)
	})
}

// Timeline returns one page of an order's timeline, oldest first, the
// number of entries in all, and the refused notifications kept by code.
func (s *Store) Timeline(ctx context.Context, orderID uint, offset, limit int) (models.TimelinePage, error) {
	var t models.TimelinePage
	db := s.db.WithContext(ctx)
	if err := db.Where("order_id = ?", orderID).Order("id").Offset(offset).Limit(limit).Find(&t.Events).Error; err != nil {
		return t, fmt.Errorf("timeline of order %d: %w", orderID, err)
	}
	if err := db.Model(&models.OrderEvent{}).Where("order_id = ?", orderID).Count(&t.Total).Error; err != nil {
		return t, fmt.Errorf("count timeline of order %d: %w", orderID, err)
	}
	var codes []struct {
		Code string
		N    int64
	}
	err := db.Model(&models.OrderEvent{}).Select("code, COUNT(*) AS n").
		Where("order_id = ? AND code <> ''", orderID).Group("code").Scan(&codes).Error
	if err != nil {
		return t, fmt.Errorf("refusals of order %d: %w", orderID, err)
	}
	t.Refusals = make(map[models.Refusal]int64, len(codes))
	for _, c := range codes {
		t.Refusals[models.Refusal(c.Code)] = c.N
	}
	return t, nil
}
