package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// The gauges /metrics reads count what the orders are, on any database:
// each status, the due backlog and the oldest due query.
func TestGaugesCountOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	g, err := st.Gauges(ctx, anyDBNow)
	if err != nil {
		t.Fatal(err)
	}
	if g.Orders[models.StatusPaid] != 0 || g.Backlog != 0 || !g.OldestDue.IsZero() {
		t.Fatalf("empty database: %+v", g)
	}
	a := newOpenOrder(t, st, "GAUGE-0001", "10.0.0.1") // next query at now+1m
	b := newOpenOrder(t, st, "GAUGE-0002", "10.0.0.2")
	newOpenOrder(t, st, "GAUGE-0003", "10.0.0.3")
	must(t, st.ScheduleQuery(ctx, a.ID, anyDBNow.Add(-90*time.Second), false, anyDBNow, "NOTPAY"))
	if _, _, err := st.UpdateOrder(ctx, b.OutTradeNo, func(cur models.Order) models.Change {
		ch, _ := cur.Pay(payment(&cur, "4200000000000000000001"))
		return ch
	}); err != nil {
		t.Fatal(err)
	}
	g, err = st.Gauges(ctx, anyDBNow)
	if err != nil {
		t.Fatal(err)
	}
	if g.Orders[models.StatusNotPay] != 2 || g.Orders[models.StatusPaid] != 1 || g.Orders[models.StatusClosed] != 0 {
		t.Errorf("orders by status: %v, want 2 NOTPAY, 1 PAID", g.Orders)
	}
	if g.Backlog != 1 {
		t.Errorf("backlog %d, want 1 (one unpaid order's query is due)", g.Backlog)
	}
	if want := anyDBNow.Add(-90 * time.Second); !g.OldestDue.Equal(want) {
		t.Errorf("oldest due %v, want %v", g.OldestDue, want)
	}
	for _, s := range store.GaugeDeliveryStates {
		if n, ok := g.Deliveries[s]; !ok || n != 0 {
			t.Errorf("deliveries %s: %d, %v; want 0, present", s, n, ok)
		}
	}
}

// Every gauge query reads a range of an index, never the table: a scrape
// costs index pages (SQLite's plans; PostgreSQL has the same indexes).
func TestGaugeQueryPlansUseIndexes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	must(t, st.SeedProducts(ctx, testrig.Products))
	testrig.SeedOrders(t, st, 40, anyDBNow)
	qs, err := st.GaugeQuerySQL(ctx, anyDBNow)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"backlog": "COVERING INDEX idx_orders_status_next", "oldest": "idx_orders_status_next"}
	// The orders by status sum the daily aggregates: their primary key,
	// a few rows a day, never the orders.
	want["orders"] = "order_days"
	for _, s := range store.GaugeDeliveryStates {
		want["deliveries:"+string(s)] = "COVERING INDEX idx_deliveries_due"
	}
	if len(qs) != len(want) {
		t.Fatalf("%d gauge queries, want %d", len(qs), len(want))
	}
	for name, sql := range qs {
		plan, err := st.QueryPlan(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		if name == "orders" { // a few rows a day, grouped: never the orders table
			if !strings.Contains(plan, "order_days") || strings.Contains(plan, "orders ") {
				t.Errorf("orders by status: plan\n%s\nwant order_days only", plan)
			}
			continue
		}
		if !strings.Contains(plan, "SEARCH") || !strings.Contains(plan, want[name]) {
			t.Errorf("%s: plan\n%s\nwant a SEARCH using %s\nSQL: %s", name, plan, want[name], sql)
		}
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s sorts: %s", name, plan)
		}
	}
}
