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

// DueOrders claims unpaid orders whose next query time has come, oldest
// due first (see claim). Orders whose unifiedorder outcome is unknown are
// PendingPrepays' business.
func (s *Store) DueOrders(ctx context.Context, now time.Time, limit int) ([]models.Order, error) {
	os, err := s.claim(ctx, now, limit, dueOrder, dueWhere, models.StatusNotPay, models.PrepayPending, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("due orders: %w", err)
	}
	return os, nil
}

// The reconciler's reads, each a range of one index (plan_internal_test
// checks): due orders on idx_orders_status_next, lost unifiedorder
// outcomes on idx_orders_status_prepay.
const (
	dueWhere     = "status = ? AND prepay <> ? AND next_query_at <= ?"
	dueOrder     = "next_query_at"
	pendingWhere = "status = ? AND prepay = ? AND created_at < ? AND next_query_at <= ?"
	pendingOrder = "created_at, id"
	nextWhere    = "status = ? AND prepay <> ?"
)

// ClaimLease is how long an instance holds the orders it claimed: if it
// dies working them, another instance takes them over after this.
const ClaimLease = 30 * time.Second

// claim returns up to limit unpaid orders that match where, in order. On
// PostgreSQL, where several instances share the work, it leases them in
// the same statement — next_query_at moves ClaimLease ahead, and rows
// another instance is claiming are skipped — so no order is worked by two
// instances at once, and the orders of an instance that dies come back when
// the lease ends. The worker then sets the real next query time. On SQLite
// one instance owns the database: a plain read.
func (s *Store) claim(ctx context.Context, now time.Time, limit int, order, where string, args ...any) ([]models.Order, error) {
	var os []models.Order
	if s.pg == nil {
		err := s.db.WithContext(ctx).Where(where, args...).Order(order).Limit(limit).Find(&os).Error
		return os, err
	}
	q := "UPDATE orders SET next_query_at = ? WHERE id IN (SELECT id FROM orders WHERE " + where +
		" ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING *"
	vars := append(append([]any{now.Add(ClaimLease).UTC()}, args...), limit)
	err := s.db.WithContext(ctx).Raw(q, vars...).Scan(&os).Error
	return os, err
}

// ScheduleQuery sets when the reconciler next asks WeChat about an unpaid
// order and counts the query just made, with WeChat's answer (state; ""
// when the query failed) at at; anomaly counts it among the answers in a
// row that could not be applied, or resets that count. A paid or closed
// order is left alone.
func (s *Store) ScheduleQuery(ctx context.Context, id uint, next time.Time, anomaly bool, at time.Time, state string) error {
	anomalies := gorm.Expr("0")
	if anomaly {
		anomalies = gorm.Expr("query_anomalies + 1")
	}
	cols := map[string]any{"next_query_at": next.UTC(), "queries": gorm.Expr("queries + 1"), "query_anomalies": anomalies,
		"last_query_at": at.UTC()}
	if state != "" {
		cols["last_query_state"] = state
	}
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.Order{}).Where("id = ? AND status = ?", id, models.StatusNotPay).Updates(cols).Error
	})
	if err != nil {
		return fmt.Errorf("schedule query of order %d: %w", id, err)
	}
	return nil
}

// NextQueryAt is the earliest next query time of the unpaid orders whose
// unifiedorder outcome is known, and false when there is none: the
// reconciler sleeps until then. One step down idx_orders_status_next.
func (s *Store) NextQueryAt(ctx context.Context) (time.Time, bool, error) {
	var o models.Order
	err := s.db.WithContext(ctx).Select("next_query_at").
		Where(nextWhere, models.StatusNotPay, models.PrepayPending).Order(dueOrder).Limit(1).Find(&o).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next query time: %w", err)
	}
	return o.NextQueryAt, !o.NextQueryAt.IsZero(), nil
}

// PendingPrepays claims orders whose unifiedorder outcome was never
// recorded (the process stopped mid-call) and that were created before
// cutoff (see claim), oldest first: a range of idx_orders_status_prepay,
// never a scan of the unpaid orders.
func (s *Store) PendingPrepays(ctx context.Context, cutoff, now time.Time, limit int) ([]models.Order, error) {
	os, err := s.claim(ctx, now, limit, pendingOrder, pendingWhere, models.StatusNotPay, models.PrepayPending, cutoff.UTC(), now.UTC())
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
