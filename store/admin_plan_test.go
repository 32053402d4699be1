package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// The admin's hot queries each read a range of an index that fits them:
// no scan of the orders table, and no sort of the rows they select, so
// their cost is a page's, not the table's (SQLite's plans; PostgreSQL has
// the same indexes).
func TestAdminQueryPlansUseIndexes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.SeedProducts(ctx, testrig.Products); err != nil {
		t.Fatal(err)
	}
	seeded := testrig.SeedOrders(t, st, 40, newest)
	key := &models.OrderKey{CreatedAt: seeded[20].CreatedAt, ID: seeded[20].ID}
	from, to := bjDay("2026-10-24"), bjDay("2026-11-23")
	type planCase struct {
		name, which string
		f           models.OrderFilter
		index       string // the index the plan must use
		sorts       bool   // a sort of the few rows selected is allowed
	}
	tests := []planCase{
		{"list", "list", models.OrderFilter{}, "idx_orders_created", false},
		{"list: next page", "list", models.OrderFilter{Older: key}, "idx_orders_created", false},
		{"list: newer page", "list", models.OrderFilter{Newer: key}, "idx_orders_created", false},
		{"export", "export", models.OrderFilter{}, "idx_orders_created", false},
		{"export: next batch", "export", models.OrderFilter{Older: key}, "idx_orders_created", false},
		{"export: date range, next batch", "export", models.OrderFilter{From: from, To: to, Older: key}, "idx_orders_created", false},
		{"export: status, next batch", "export", models.OrderFilter{Status: models.StatusPaid, Older: key}, "idx_orders_status_created", false},
		{"list: date range", "list", models.OrderFilter{From: from, To: to}, "idx_orders_created", false},
		{"list: fulfilment", "list", models.OrderFilter{Fulfilment: models.FulfilToShip}, "idx_orders_fulfil_created", false},
		{"list: fulfilment, next page", "list", models.OrderFilter{Fulfilment: models.FulfilToShip, Older: key}, "idx_orders_fulfil_created", false},
		{"list: status and dates", "list", models.OrderFilter{Status: models.StatusPaid, From: from, To: to}, "idx_orders_status_created", false},
		{"list: SKU", "list", models.OrderFilter{Query: "COFFEE"}, "idx_orders_sku_created", false},
		// An exact number selects an order or two: each number's own
		// index, and a sort of those few rows.
		{"list: order number", "list", models.OrderFilter{Query: seeded[3].OutTradeNo}, "idx_orders_out_trade_no", true},
		{"list: transaction id", "list", models.OrderFilter{Query: seeded[1].TransactionID}, "idx_orders_transaction_id", true},
		{"totals: 30 days", "totals", models.OrderFilter{From: from, To: to}, "COVERING INDEX idx_orders_created", false},
		{"totals: status, 30 days", "totals", models.OrderFilter{Status: models.StatusPaid, From: from, To: to}, "COVERING INDEX idx_orders_status_created", false},
		{"totals: fulfilment, 30 days", "totals", models.OrderFilter{Fulfilment: models.FulfilToShip, From: from, To: to}, "COVERING INDEX idx_orders_fulfil_created", false},
		{"chart", "chart", models.OrderFilter{From: from, To: to}, "COVERING INDEX idx_orders_paid", true},
	}
	for _, s := range []models.OrderStatus{models.StatusNotPay, models.StatusPaid, models.StatusRefund, models.StatusClosed, models.StatusFailed} {
		tests = append(tests,
			planCase{"list: " + string(s), "list", models.OrderFilter{Status: s}, "idx_orders_status_created", false},
			planCase{"list: " + string(s) + ", next page", "list", models.OrderFilter{Status: s, Older: key}, "idx_orders_status_created", false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, err := st.AdminQuerySQL(ctx, tt.which, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := st.QueryPlan(ctx, sql)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(plan), "\n") {
				if strings.HasPrefix(line, "SCAN orders") && !strings.Contains(line, "INDEX") {
					t.Errorf("full scan: %s", line)
				}
				if strings.Contains(line, "SCAN orders USING") && !strings.Contains(plan, "SEARCH") && tt.f.Status == "" && !tt.f.From.IsZero() {
					t.Errorf("a dated query walks a whole index: %s", line)
				}
				if strings.Contains(line, "TEMP B-TREE") && !tt.sorts {
					t.Errorf("sorts its rows: %s", line)
				}
			}
			if !strings.Contains(plan, tt.index) {
				t.Errorf("plan does not use %s", tt.index)
			}
			if testing.Verbose() {
				t.Logf("%s\n%s", sql, plan)
			}
		})
	}
}

// A database from before the admin list's indexes gets them when opened,
// its orders kept.
func TestAdminIndexesAddedToAnOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SeedProducts(ctx, testrig.Products); err != nil {
		t.Fatal(err)
	}
	testrig.SeedOrders(t, st, 10, newest)
	added := []string{"idx_orders_created", "idx_orders_fulfil_created", "idx_orders_merchant_no", "idx_orders_paid", "idx_orders_sku_created", "idx_orders_status_created"}
	for _, name := range added {
		if err := st.DropIndex(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if st, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names, err := st.OrderIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range added {
		if !slices.Contains(names, name) {
			t.Errorf("index %s not added on open: %v", name, names)
		}
	}
	if tot, err := st.OrderTotals(ctx, models.OrderFilter{}); err != nil || tot.Count != 10 {
		t.Errorf("totals after migration = %+v, %v; want the 10 orders", tot, err)
	}
}
