package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// queryPlan is SQLite's EXPLAIN QUERY PLAN of the statement q builds, one
// step a line.
func queryPlan(t *testing.T, s *Store, q func(tx *gorm.DB) *gorm.DB) string {
	t.Helper()
	stmt := s.db.ToSQL(q)
	var rows []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := s.db.Raw("EXPLAIN QUERY PLAN " + stmt).Scan(&rows).Error; err != nil {
		t.Fatalf("explain %s: %v", stmt, err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintln(&b, r.Detail)
	}
	return b.String()
}

// TestReconcilerReadsUseTheirIndexes: the reconciler's reads run every
// tick while the table grows; none may scan the unpaid orders or sort them.
func TestReconcilerReadsUseTheirIndexes(t *testing.T) {
	s := openTest(t)
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var os []models.Order
	for _, tc := range []struct {
		name, index string
		q           func(tx *gorm.DB) *gorm.DB
	}{
		{"pending prepays", "idx_orders_status_prepay", func(tx *gorm.DB) *gorm.DB {
			return tx.Where(pendingWhere, models.StatusNotPay, models.PrepayPending, now.Add(-time.Minute), now).
				Order(pendingOrder).Limit(200).Find(&os)
		}},
		{"due orders", "idx_orders_status_next", func(tx *gorm.DB) *gorm.DB {
			return tx.Where(dueWhere, models.StatusNotPay, models.PrepayPending, now).Order(dueOrder).Limit(200).Find(&os)
		}},
		{"next query time", "idx_orders_status_next", func(tx *gorm.DB) *gorm.DB {
			return tx.Select("next_query_at").Where(nextWhere, models.StatusNotPay, models.PrepayPending).
				Order(dueOrder).Limit(1).Find(&os)
		}},
	} {
		plan := queryPlan(t, s, tc.q)
		t.Logf("%s:\n%s", tc.name, plan)
		if !strings.Contains(plan, "USING INDEX "+tc.index+" (") || strings.Contains(plan, "TEMP B-TREE") ||
			strings.Contains(plan, "SCAN orders") {
			t.Errorf("%s: plan\n%swant a range of %s, no scan, no sort", tc.name, plan, tc.index)
		}
	}
}

// TestCountOpenOrdersUsesTheClientIndex: every checkout counts its client's
// open orders; with only an index on client_key SQLite chose the status
// index and walked every unpaid order (6 checkouts/s at 1M orders).
func TestCountOpenOrdersUsesTheClientIndex(t *testing.T) {
	s := openTest(t)
	var n int64
	plan := queryPlan(t, s, func(tx *gorm.DB) *gorm.DB {
		return tx.Model(&models.Order{}).Where(openWhere, "10.0.0.1", models.StatusNotPay, time.Now().UTC()).Count(&n)
	})
	if !strings.Contains(plan, "INDEX idx_orders_client_status (client_key=? AND status=? AND expires_at>?)") || strings.Contains(plan, "SCAN") {
		t.Errorf("plan\n%swant a range of idx_orders_client_status on all three columns", plan)
	}
}
