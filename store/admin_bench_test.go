package store_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
)

var adminBenchOrders = flag.Int("admin.orders", 200_000, "orders BenchmarkAdminList seeds")

// benchOrders are n orders over 90 days up to newest, like the issue's
// copy: 60 % paid (1 in 20 of those refunded, the shop's to ship, shipped
// or done), 30 % closed, 10 % unpaid.
func benchOrders(n int, productID uint) []models.Order {
	out := make([]models.Order, 0, n)
	step := 90 * 24 * time.Hour / time.Duration(n)
	fulfil := []models.Fulfilment{models.FulfilToShip, models.FulfilShipped, models.FulfilDone, models.FulfilDone}
	for i := range n {
		created := newest.Add(-time.Duration(i) * step).UTC()
		sku, fee := "COFFEE", models.Money(5800)
		if i%7 == 0 {
			sku, fee = "PENNY", 1
		}
		pid := productID
		o := models.Order{OutTradeNo: fmt.Sprintf("B%015d", i), Token: fmt.Sprintf("benchtoken%010d", i), ProductID: &pid,
			SKU: sku, Body: "咖啡豆", Quantity: 1, UnitPrice: fee, TotalFee: fee, Status: models.StatusClosed, Prepay: models.PrepayDone,
			TimeStart: created, ExpiresAt: created.Add(15 * time.Minute), NextQueryAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created}
		switch r := i % 10; {
		case r < 6:
			paid := created.Add(time.Minute)
			o.Status, o.PaidAt, o.TransactionID = models.StatusPaid, &paid, fmt.Sprintf("4200000001%018d", i)
			o.Fulfilment = fulfil[i%len(fulfil)]
			if i%20 == 0 {
				o.Status, o.RefundedFee, o.RefundCount = models.StatusRefund, fee, 1
			}
		case r == 9:
			o.Status = models.StatusNotPay
		}
		out = append(out, o)
	}
	return out
}

// BenchmarkAdminList times the admin list's queries, its totals and its
// chart on a SQLite store of -admin.orders orders (warm: the same query
// again and again).
//
//	go test ./store -run '^$' -bench AdminList -benchtime 200x -admin.orders 200000
func BenchmarkAdminList(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.SeedProducts(ctx, testrig.Products); err != nil {
		b.Fatal(err)
	}
	p, err := st.ProductBySKU(ctx, "COFFEE")
	if err != nil {
		b.Fatal(err)
	}
	n := *adminBenchOrders
	start := time.Now()
	orders := benchOrders(n, p.ID)
	for i := 0; i < n; i += 10_000 {
		if err := st.BulkInsertOrders(ctx, orders[i:min(n, i+10_000)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d orders in %v", n, time.Since(start).Round(time.Millisecond))
	// The bulk insert bypasses the writer, so the daily aggregates are
	// built as for a database from before them: the migration's backfill,
	// when the store is opened again.
	if err := st.ForgetDays(ctx); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if st, err = store.Open(path); err != nil {
		b.Fatal(err)
	}
	b.Logf("reopened, building the daily aggregates of %d orders (the one-time backfill), in %v", n, time.Since(start).Round(time.Millisecond))
	deep := orders[n/2] // a page half-way down the list
	key := &models.OrderKey{CreatedAt: deep.CreatedAt, ID: deep.ID}
	day := func(s string) time.Time { t, _ := time.ParseInLocation(time.DateOnly, s, wxpay.Beijing()); return t }
	from, to := day("2026-10-24"), day("2026-11-23")
	list := func(f models.OrderFilter) func() error {
		return func() error { _, err := st.SearchOrders(ctx, f, 0, 51); return err }
	}
	totals := func(f models.OrderFilter) func() error {
		return func() error { _, err := st.OrderTotals(ctx, f); return err }
	}
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"list", list(models.OrderFilter{})},
		{"list-older-half-way", list(models.OrderFilter{Older: key})},
		{"status-PAID", list(models.OrderFilter{Status: models.StatusPaid})},
		{"status-NOTPAY-older-half-way", list(models.OrderFilter{Status: models.StatusNotPay, Older: key})},
		{"fulfilment-to_ship", list(models.OrderFilter{Fulfilment: models.FulfilToShip})},
		{"date-range-week", list(models.OrderFilter{From: day("2026-11-10"), To: day("2026-11-17")})},
		{"search-out_trade_no", list(models.OrderFilter{Query: orders[n/3].OutTradeNo})},
		{"search-transaction_id", list(models.OrderFilter{Query: orders[n/3/10*10+1].TransactionID})},
		{"search-sku", list(models.OrderFilter{Query: "PENNY"})},
		{"search-nothing", list(models.OrderFilter{Query: "NO-SUCH-ORDER"})},
		{"totals-all", totals(models.OrderFilter{})},
		{"totals-30-days", totals(models.OrderFilter{From: from, To: to})},
		{"totals-PAID-30-days", totals(models.OrderFilter{Status: models.StatusPaid, From: from, To: to})},
		{"chart-30-days", func() error { _, err := st.PaidPerDay(ctx, from, to); return err }},
		// The daily aggregates answer whole Beijing days; a bound one
		// second off a midnight, a search or a fulfilment state reads the
		// orders (the path of every totals and chart before them).
		{"totals-30-days-orders", totals(models.OrderFilter{From: from.Add(-time.Second), To: to})},
		{"totals-PAID-30-days-orders", totals(models.OrderFilter{Status: models.StatusPaid, From: from.Add(-time.Second), To: to})},
		{"totals-sku-30-days-orders", totals(models.OrderFilter{Query: "PENNY", From: from, To: to})},
		{"totals-to_ship-all-orders", totals(models.OrderFilter{Fulfilment: models.FulfilToShip})},
		{"chart-30-days-orders", func() error { _, err := st.PaidPerDay(ctx, from.Add(-time.Second), to); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
