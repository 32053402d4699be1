package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// Gauges are the numbers GET /metrics reads from the database at scrape
// time (cached a few seconds by the metrics package), so they are right
// whichever instance is scraped.
type Gauges struct {
	Orders     map[models.OrderStatus]int64
	Deliveries map[models.DeliveryState]int64 // pending, queued, failed
	// Backlog counts the unpaid orders whose next query is due; OldestDue
	// is the earliest next query time of an unpaid order (zero when none).
	Backlog   int64
	OldestDue time.Time
}

// GaugeStatuses and GaugeDeliveryStates are the statuses and states Gauges
// counts.
var (
	GaugeStatuses = []models.OrderStatus{models.StatusNotPay, models.StatusPaid, models.StatusRefund,
		models.StatusClosed, models.StatusFailed}
	GaugeDeliveryStates = []models.DeliveryState{models.DeliveryPending, models.DeliveryQueued, models.DeliveryFailed}
)

// The gauges' queries, each a count over a range of one index (the plan
// test checks): deliveries of a state on idx_deliveries_due, the due
// backlog and the oldest due query on idx_orders_status_next. The orders
// by status are ordersByStatus.
func (s *Store) gaugeQueries(db *gorm.DB, now time.Time) map[string]*gorm.DB {
	qs := map[string]*gorm.DB{}
	for _, st := range GaugeDeliveryStates {
		qs["deliveries:"+string(st)] = db.Model(&models.Delivery{}).Where("state = ?", st)
	}
	qs["backlog"] = db.Model(&models.Order{}).Where("status = ? AND next_query_at <= ?", models.StatusNotPay, now.UTC())
	return qs
}

// ordersByStatus counts the orders of each status from the daily
// aggregates (kept in every order write's transaction, see aggregates.go):
// a few rows a day, whatever the number of orders.
func ordersByStatus(db *gorm.DB) *gorm.DB {
	return db.Model(&orderDay{}).Select("status, COALESCE(SUM(n), 0) AS n").Group("status")
}

// oldestDue is one step down idx_orders_status_next.
func oldestDue(db *gorm.DB) *gorm.DB {
	return db.Model(&models.Order{}).Select("next_query_at").Where("status = ?", models.StatusNotPay).
		Order("next_query_at").Limit(1)
}

// Gauges reads the gauges at now.
func (s *Store) Gauges(ctx context.Context, now time.Time) (Gauges, error) {
	g := Gauges{Orders: map[models.OrderStatus]int64{}, Deliveries: map[models.DeliveryState]int64{}}
	db := s.db.WithContext(ctx)
	for name, q := range s.gaugeQueries(db, now) {
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return Gauges{}, fmt.Errorf("gauge %s: %w", name, err)
		}
		if st, ok := strings.CutPrefix(name, "deliveries:"); ok {
			g.Deliveries[models.DeliveryState(st)] = n
		} else {
			g.Backlog = n
		}
	}
	for _, st := range GaugeStatuses {
		g.Orders[st] = 0
	}
	var rows []struct {
		Status models.OrderStatus
		N      int64
	}
	if err := ordersByStatus(db).Scan(&rows).Error; err != nil {
		return Gauges{}, fmt.Errorf("gauge orders by status: %w", err)
	}
	for _, r := range rows {
		g.Orders[r.Status] = r.N
	}
	var o models.Order
	if err := oldestDue(db).Find(&o).Error; err != nil {
		return Gauges{}, fmt.Errorf("gauge oldest due query: %w", err)
	}
	g.OldestDue = o.NextQueryAt
	return g, nil
}
