package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// The reconciler's store: its claims of due orders, the time it sleeps
// until, and the schedules it writes back, a round's in one write.

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

// QueryDone is one reconciler query that changed nothing but the order's
// schedule: when to ask next (Next), when it asked (At), WeChat's answer
// (State; "" when there was none to keep), and whether the answer could not
// be applied (Anomaly counts it among those in a row; false resets that
// count).
type QueryDone struct {
	ID      uint
	Next    time.Time
	At      time.Time
	State   string
	Anomaly bool
}

// scheduleSQL counts one query and sets the next; a paid or closed order
// is left alone. One statement text for every case (anomaly and state are
// arguments), so the writer prepares it once.
const scheduleSQL = "UPDATE orders SET next_query_at = ?, queries = queries + 1, query_anomalies = (query_anomalies + 1) * ?, " +
	"last_query_at = ?, last_query_state = COALESCE(NULLIF(?, ''), last_query_state), updated_at = ? WHERE id = ? AND status = ?"

// ScheduleQuery records one query (see QueryDone).
func (s *Store) ScheduleQuery(ctx context.Context, id uint, next time.Time, anomaly bool, at time.Time, state string) error {
	return s.ScheduleQueries(ctx, []QueryDone{{ID: id, Next: next, At: at, State: state, Anomaly: anomaly}})
}

// ScheduleQueries records a reconciler round's unchanged queries in one
// write: a statement per order, and evs (the kept records of queries that
// left their orders open, OrderID set) in multi-row INSERTs, in one
// transaction — one commit (one fsync on SQLite) for the lot instead of
// one per query. Only schedules, counters and records are written here; a
// query that found a payment or a closed trade went through the order's
// own transition before.
func (s *Store) ScheduleQueries(ctx context.Context, qs []QueryDone, evs ...*models.OrderEvent) error {
	if len(qs) == 0 && len(evs) == 0 {
		return nil
	}
	updated := time.Now().UTC()
	err := s.write(ctx, func(tx *gorm.DB) error {
		if len(evs) > 0 {
			if err := tx.Omit("Order").CreateInBatches(evs, 100).Error; err != nil {
				return fmt.Errorf("add %d query records: %w", len(evs), err)
			}
		}
		for _, q := range qs {
			anomaly := 0
			if q.Anomaly {
				anomaly = 1
			}
			if err := tx.Exec(scheduleSQL, q.Next.UTC(), anomaly, q.At.UTC(), q.State, updated, q.ID, models.StatusNotPay).Error; err != nil {
				return fmt.Errorf("order %d: %w", q.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule %d queries: %w", len(qs), err)
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
