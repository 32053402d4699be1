package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// CreateGatewayOrder inserts a gateway order with its first event, unless
// its merchant app already has an order with the same merchant order
// number: then nothing is written and that order is returned. On
// PostgreSQL the check and the insert run under an advisory lock on the
// pair, so concurrent submissions of one merchant order make one order.
func (s *Store) CreateGatewayOrder(ctx context.Context, o *models.Order, ev *models.OrderEvent) (existing *models.Order, err error) {
	no := o.MerchantOutTradeNo()
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := s.pg.serialize(tx, merchantLock(o.AppPid, no)); err != nil {
			return err
		}
		var cur models.Order
		err := tx.Where("app_pid = ? AND merchant_trade_no = ?", o.AppPid, no).Limit(1).Find(&cur).Error
		switch {
		case err != nil:
			return fmt.Errorf("find merchant order %d/%s: %w", o.AppPid, no, err)
		case cur.ID != 0:
			existing = &cur
			return nil
		}
		if err := tx.Omit("Product").Create(o).Error; err != nil {
			return fmt.Errorf("create order %s: %w", o.OutTradeNo, err)
		}
		if err := bumpDays(tx, nil, o); err != nil {
			return err
		}
		return addEvent(tx, o, ev)
	})
	return existing, err
}

// merchantLock is the advisory lock key of one merchant order number.
func merchantLock(pid int64, no string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "merchant:%d:%s", pid, no)
	return int64(h.Sum64())
}

// OrderByMerchant finds an app's order by the merchant's out_trade_no.
func (s *Store) OrderByMerchant(ctx context.Context, pid int64, no string) (*models.Order, error) {
	var o models.Order
	if err := s.db.WithContext(ctx).Where("app_pid = ? AND merchant_trade_no = ?", pid, no).First(&o).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("order %d/%s", pid, no))
	}
	return &o, nil
}

// addDeliveries writes an order's new notifications, inside the
// transaction that changes the order (whose row it holds locked on
// PostgreSQL). A notification waits, queued, while an earlier one of the
// same order is not finished, so that each order's go out in order; the
// one before promotes it when it ends (RecordAttempt). Only pending ones
// are ever claimed, which keeps the claim a plain index range.
func addDeliveries(tx *gorm.DB, o *models.Order, ds []*models.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	var open int64
	if err := tx.Model(&models.Delivery{}).Where("order_id = ? AND state IN ?", o.ID,
		[]models.DeliveryState{models.DeliveryPending, models.DeliveryQueued}).Limit(1).Count(&open).Error; err != nil {
		return fmt.Errorf("open deliveries of %s: %w", o.OutTradeNo, err)
	}
	for i, d := range ds {
		d.OrderID, d.OutTradeNo, d.AppPid = o.ID, o.OutTradeNo, o.AppPid
		if open > 0 || i > 0 {
			d.State = models.DeliveryQueued
		}
	}
	if err := tx.Omit("Order").Create(ds).Error; err != nil {
		return fmt.Errorf("add %d deliveries for %s: %w", len(ds), o.OutTradeNo, err)
	}
	return nil
}

// DeliveryLease is how long an instance holds the deliveries it claimed
// (PostgreSQL): longer than one attempt may take, so that no delivery is
// sent by two instances at once, and short enough that the work of an
// instance that died comes back soon.
const DeliveryLease = 60 * time.Second

// DueDeliveries claims up to limit pending deliveries whose time has come,
// the earliest due first (at most one per order is pending: see
// addDeliveries), none of the apps in skipApps. On PostgreSQL they are
// leased (see claim); on SQLite one instance owns the database and this is
// a plain read.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int, skipApps ...int64) ([]models.Delivery, error) {
	where := "state = ? AND next_at <= ?"
	args := []any{models.DeliveryPending, now.UTC()}
	if len(skipApps) > 0 {
		where += " AND app_pid NOT IN ?"
		args = append(args, skipApps)
	}
	var ds []models.Delivery
	var err error
	if s.pg == nil {
		err = s.db.WithContext(ctx).Where(where, args...).Order("next_at, id").Limit(limit).Find(&ds).Error
	} else {
		q := "UPDATE deliveries SET next_at = ? WHERE id IN (SELECT id FROM deliveries WHERE " + where +
			" ORDER BY next_at, id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING *"
		vars := append(append([]any{now.Add(DeliveryLease).UTC()}, args...), limit)
		err = s.db.WithContext(ctx).Raw(q, vars...).Scan(&ds).Error
	}
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return ds, nil
}

// Unclaim gives back deliveries DueDeliveries leased but the caller will not
// send now (PostgreSQL): they are due again at once, for any instance.
func (s *Store) Unclaim(ctx context.Context, ids []uint, now time.Time) error {
	if s.pg == nil || len(ids) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.Delivery{}).Where("id IN ? AND state = ?", ids, models.DeliveryPending).
			UpdateColumn("next_at", now.UTC()).Error
	})
}

// RecordAttempt writes the delivery as it is after an attempt, with the
// attempt's timeline entry, in one transaction. A failed attempt never
// turns a delivery that was acknowledged meanwhile back into a pending one.
// A delivery that ends (delivered, or failed for good) lets the order's
// next queued one go.
func (s *Store) RecordAttempt(ctx context.Context, after models.Delivery, at time.Time, ev *models.OrderEvent) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		// The order's row lock orders this against addDeliveries queueing
		// a notification behind this one (PostgreSQL).
		if err := s.forUpdate(tx).Select("id").First(&models.Order{}, after.OrderID).Error; err != nil {
			return notFound(err, fmt.Sprintf("order of delivery %d", after.ID))
		}
		cols := []string{"state", "next_at", "failures", "attempts", "last_status", "last_error", "delivered_at", "updated_at"}
		after.UpdatedAt = time.Now().UTC()
		q := tx.Model(&models.Delivery{ID: after.ID}).Select(cols)
		if after.State != models.DeliveryDelivered {
			q = q.Where("state <> ?", models.DeliveryDelivered)
		}
		if err := q.Updates(&after).Error; err != nil {
			return fmt.Errorf("record attempt of delivery %d: %w", after.ID, err)
		}
		if after.State == models.DeliveryDelivered || after.State == models.DeliveryFailed {
			if err := promoteNext(tx, after.OrderID, at); err != nil {
				return err
			}
		}
		ev.OrderID, ev.OutTradeNo = &after.OrderID, after.OutTradeNo
		if err := tx.Omit("Order").Create(ev).Error; err != nil {
			return fmt.Errorf("add attempt event of delivery %d: %w", after.ID, err)
		}
		return nil
	})
}

// promoteNext makes the order's oldest queued delivery pending, due at,
// unless one is pending already.
func promoteNext(tx *gorm.DB, orderID uint, at time.Time) error {
	var ds []models.Delivery
	err := tx.Select("id", "state").Where("order_id = ? AND state IN ?", orderID,
		[]models.DeliveryState{models.DeliveryPending, models.DeliveryQueued}).Order("id").Find(&ds).Error
	if err != nil {
		return fmt.Errorf("next delivery of order %d: %w", orderID, err)
	}
	if len(ds) == 0 || ds[0].State == models.DeliveryPending {
		return nil
	}
	err = tx.Model(&models.Delivery{ID: ds[0].ID}).Updates(map[string]any{"state": models.DeliveryPending,
		"next_at": at.UTC(), "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("promote delivery %d: %w", ds[0].ID, err)
	}
	return nil
}

// Deliveries lists an order's merchant notifications, oldest first.
func (s *Store) Deliveries(ctx context.Context, orderID uint) ([]models.Delivery, error) {
	var ds []models.Delivery
	if err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("deliveries of order %d: %w", orderID, err)
	}
	return ds, nil
}

// FailingDeliveries lists deliveries that failed for good or whose last
// attempt failed, the most recently attempted first.
func (s *Store) FailingDeliveries(ctx context.Context, limit int) ([]models.Delivery, error) {
	var ds []models.Delivery
	err := s.db.WithContext(ctx).
		Where("state = ? OR (state = ? AND failures > 0)", models.DeliveryFailed, models.DeliveryPending).
		Order("updated_at DESC, id DESC").Limit(limit).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("failing deliveries: %w", err)
	}
	return ds, nil
}

// DeliveryByID finds one delivery.
func (s *Store) DeliveryByID(ctx context.Context, id uint) (*models.Delivery, error) {
	var d models.Delivery
	if err := s.db.WithContext(ctx).First(&d, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("delivery %d", id))
	}
	return &d, nil
}

// ResendDelivery puts a delivery back in the queue, due at, with its
// schedule started over, and records who asked in the order's timeline. A
// delivery already delivered is sent again too: the merchant asked for it.
// A queued one stays queued behind its order's earlier notification.
func (s *Store) ResendDelivery(ctx context.Context, id uint, at time.Time, ev *models.OrderEvent) (*models.Delivery, error) {
	var d models.Delivery
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.forUpdate(tx).First(&d, id).Error; err != nil {
			return notFound(err, fmt.Sprintf("delivery %d", id))
		}
		if d.State == models.DeliveryQueued {
			return nil // it goes once the order's earlier notification ends
		}
		d = d.Resend(at)
		d.UpdatedAt = time.Now().UTC()
		if err := tx.Model(&models.Delivery{ID: id}).Select("state", "next_at", "failures", "updated_at").Updates(&d).Error; err != nil {
			return fmt.Errorf("resend delivery %d: %w", id, err)
		}
		ev.OrderID, ev.OutTradeNo = &d.OrderID, d.OutTradeNo
		return tx.Omit("Order").Create(ev).Error
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}
