package checkout_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// BenchmarkTimelineSize measures what an order costs the database (issue
// 17): TIMELINE_ORDERS orders (default 2000) go through the real service
// against the simulator: checkout, unifiedorder, the payment notification;
// every 5th is also queried by its shopper, every 10th refunded in full.
// It reports the SQLite file per order (after VACUUM: rows and indexes),
// the raw bodies and the timeline entries per order, fresh and after the
// default RAW_BODY_RETENTION (720h) has passed and the pruner has run.
//
//	TIMELINE_ORDERS=20000 go test -run '^$' -bench TimelineSize -benchtime 1x ./checkout/
func BenchmarkTimelineSize(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("TIMELINE_ORDERS")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		r := testrig.New(b, testrig.Options{RealClock: true})
		if r.DBPath == "" {
			b.Skip("measures the SQLite file")
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if err := oneOrder(ctx, r, i); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		db, err := sql.Open("sqlite3", r.DBPath)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		fresh := measure(b, r, db, n)
		// As if RAW_BODY_RETENTION had passed: every entry is older than
		// the cut-off.
		pruned := 0
		for {
			seen, p, err := r.Store.PruneRawBodies(ctx, time.Now().Add(time.Hour), 500)
			if err != nil {
				b.Fatal(err)
			}
			if pruned += p; seen < 500 {
				break
			}
		}
		after := measure(b, r, db, n)
		b.Logf("%d orders; pruned %d entries", n, pruned)
		b.Logf("fresh:  %s", fresh)
		b.Logf("pruned: %s", after)
		// What the rest weighs: the orders, their items and indexes.
		if _, err := db.Exec("DROP TABLE order_events"); err != nil {
			b.Fatal(err)
		}
		orders = n
		b.Logf("without the timeline: %.0f B/order in the file", measure(b, r, db, 0).file)
		b.ReportMetric(fresh.file, "file-B/order")
		b.ReportMetric(after.file, "pruned-file-B/order")
	}
}

func oneOrder(ctx context.Context, r *testrig.Rig, i int) error {
	o, err := r.Svc.PlaceOrder(ctx, checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, ClientIP: "127.0.0.1"})
	if err != nil {
		return fmt.Errorf("place %d: %w", i, err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		return fmt.Errorf("pay %d: %w", i, err)
	}
	for range 500 { // the notification comes over HTTP
		got, err := r.Store.OrderByOutTradeNo(ctx, o.OutTradeNo)
		if err != nil {
			return err
		}
		if got.Status == models.StatusPaid {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if i%5 == 0 {
		if err := r.Svc.Sync(ctx, o.OutTradeNo, "shopper"); err != nil {
			return fmt.Errorf("query %d: %w", i, err)
		}
	}
	if i%10 == 0 {
		if _, _, err := r.Svc.Refund(ctx, checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: o.TotalFee, Reason: "bench", Actor: "admin:bench"}); err != nil {
			return fmt.Errorf("refund %d: %w", i, err)
		}
	}
	return nil
}

// orders is n for measure's last call, once order_events is dropped.
var orders int

type sizes struct {
	file, raw, events, eventBytes float64
}

func (s sizes) String() string {
	return fmt.Sprintf("%.0f B/order in the file (VACUUM), %.1f timeline entries/order, %.0f B/order of entry text, %.0f B/order of raw bodies",
		s.file, s.events, s.eventBytes, s.raw)
}

func measure(b *testing.B, r *testrig.Rig, db *sql.DB, n int) sizes {
	b.Helper()
	for _, q := range []string{"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}

	st, err := os.Stat(r.DBPath)
	if err != nil {
		b.Fatal(err)
	}
	var s sizes
	if n == 0 { // the timeline's table is gone
		return sizes{file: float64(st.Size()) / float64(orders)}
	}
	s.file = float64(st.Size()) / float64(n)
	var raw, text, events int64
	if err := db.QueryRow(`SELECT count(*), COALESCE(SUM(length(request)+length(response)),0),
		COALESCE(SUM(length(request)+length(response)+length(summary)+length(raw_digest)+length(kind)+length(actor)+length(out_trade_no)+length(code)),0)
		FROM order_events`).Scan(&events, &raw, &text); err != nil {
		b.Fatal(err)
	}
	s.events, s.raw, s.eventBytes = float64(events)/float64(n), float64(raw)/float64(n), float64(text)/float64(n)
	return s
}
