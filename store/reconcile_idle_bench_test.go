package store_test

import (
	"context"
	"flag"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/store"
)

var idleBenchOrders = flag.Int("idle.orders", 200_000, "orders BenchmarkReconcilerIdle seeds")

// BenchmarkReconcilerIdle runs the reconciler for 10 s on a SQLite store of
// -idle.orders orders (60 % paid, 30 % closed, 10 % unpaid, none due for a
// day) and reports the process's CPU time over the wall time: the idle
// cost at that size. Each wake-up is a few index probes (PendingPrepays,
// DueOrders, NextQueryAt, the due refunds — plan_internal_test checks
// their plans), so it does not grow with the table. Here: in store's tests
// because BulkInsertOrders is a test helper of the store.
//
//	go test ./store -run '^$' -bench ReconcilerIdle -benchtime 1x -idle.orders 1000000
func BenchmarkReconcilerIdle(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(b.TempDir(), "idle.db"))
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
	n := *idleBenchOrders
	orders := benchOrders(n, p.ID)
	later := time.Now().UTC().Add(24 * time.Hour)
	for i := range orders {
		if orders[i].Status.Open() { // unpaid: payable for two days, next asked about tomorrow
			orders[i].NextQueryAt, orders[i].ExpiresAt = later, later.Add(24*time.Hour)
		}
	}
	for i := 0; i < n; i += 10_000 {
		if err := st.BulkInsertOrders(ctx, orders[i:min(n, i+10_000)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	svc := checkout.New(checkout.Deps{Store: st, Settings: checkout.Settings{OrderTTL: time.Hour}})
	b.ResetTimer()
	for range b.N {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start, cpu0 := time.Now(), processCPU()
		svc.RunReconciler(rctx, checkout.ReconcilerOptions{})
		wall, cpu := time.Since(start), processCPU()-cpu0
		cancel()
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%cpu-idle")
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
