package seed_test

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"wxcheckout/internal/seed"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// TestRunSeedsARealisticHistory seeds a small history (on whichever
// database the rig uses: `make test-pg` runs it on PostgreSQL) and reads it
// back through the store: counts per status, every order with its items
// and timeline, the refunds, and the admin list and its totals.
func TestRunSeedsARealisticHistory(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	const n = 530 // not a multiple of the chunk: the last one is short
	done := 0
	rep, err := seed.Run(ctx, st, seed.Options{Orders: n, Now: now, Chunk: 200, Seed: 7, Progress: func(d int) { done = d }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != n || done != n {
		t.Fatalf("seeded %d orders, progress said %d; want %d", rep.Orders, done, n)
	}
	byStatus := map[models.OrderStatus]int{}
	var refunded, withBuyer, events, items, fresh int
	var oldest time.Time
	err = st.EachOrder(ctx, models.OrderFilter{}, func(o *models.Order) error {
		byStatus[o.Status]++
		if o.Status == models.StatusRefund {
			refunded++
		}
		if o.Buyer.Name != "" {
			withBuyer++
		}
		if !utf8.ValidString(o.Buyer.Name) || !utf8.ValidString(o.Body) {
			t.Errorf("order %s: buyer %q, body %q: not UTF-8", o.OutTradeNo, o.Buyer.Name, o.Body)
		}
		if oldest.IsZero() || o.CreatedAt.Before(oldest) {
			oldest = o.CreatedAt
		}
		evs, err := st.Events(ctx, o.ID)
		if err != nil {
			return err
		}
		its, err := st.OrderItems(ctx, o.ID)
		if err != nil {
			return err
		}
		least := 3 // created, unifiedorder and what came of it
		if o.CreatedAt.After(now.Add(-time.Hour)) {
			least = 2 // a fresh open order: nothing came of it yet
			fresh++
		}
		if len(evs) < least || len(its) == 0 {
			t.Errorf("order %s (%s): %d events, %d items; want at least %d and 1", o.OutTradeNo, o.Status, len(evs), len(its), least)
		}
		var sum models.Money
		for _, it := range its {
			sum += it.Amount()
		}
		if sum != o.TotalFee {
			t.Errorf("order %s: items add up to %d, total_fee %d", o.OutTradeNo, sum, o.TotalFee)
		}
		if o.Status == models.StatusNotPay { // the export's rows lack the reconciler's columns
			full, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
			if err != nil {
				return err
			}
			if !full.NextQueryAt.After(now) {
				t.Errorf("unpaid order %s is due (next query %s): the reconciler would work it at once", o.OutTradeNo, full.NextQueryAt)
			}
		}
		events += len(evs)
		items += len(its)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fresh != seed.Fresh {
		t.Errorf("%d fresh open orders; want %d", fresh, seed.Fresh)
	}
	paid := byStatus[models.StatusPaid] + byStatus[models.StatusRefund]
	if paid < n*55/100 || paid > n*65/100 || byStatus[models.StatusClosed] < n*25/100 ||
		byStatus[models.StatusNotPay] < n*8/100 || byStatus[models.StatusNotPay] > n*15/100 || refunded == 0 || withBuyer == 0 {
		t.Errorf("statuses %v (refunded %d, with buyer details %d): want about 60%% paid, 30%% closed, 10%% unpaid, some refunded",
			byStatus, refunded, withBuyer)
	}
	if events != rep.Events || items != rep.Items || rep.Refunds != refunded {
		t.Errorf("read back %d events, %d items, %d refunded; the report says %d, %d, %d", events, items, refunded,
			rep.Events, rep.Items, rep.Refunds)
	}
	if avg := float64(events) / n; avg < 4.5 || avg > 7 {
		t.Errorf("%.1f timeline entries per order; want about 6", avg)
	}
	if span := now.Sub(oldest); span < 85*24*time.Hour || span > 92*24*time.Hour {
		t.Errorf("the oldest order is %s old; want about 90 days", span)
	}

	page, err := st.SearchOrders(ctx, models.OrderFilter{Status: models.StatusPaid}, 0, 50)
	if err != nil || len(page) != 50 {
		t.Fatalf("admin list of PAID orders: %d orders, %v", len(page), err)
	}
	for i := 1; i < len(page); i++ {
		if page[i].CreatedAt.After(page[i-1].CreatedAt) || page[i].Status != models.StatusPaid {
			t.Fatalf("admin list: order %d (%s, %s) out of order or not PAID", i, page[i].CreatedAt, page[i].Status)
		}
	}
	hit, err := st.SearchOrders(ctx, models.OrderFilter{Query: page[3].TransactionID}, 0, 50)
	if err != nil || len(hit) != 1 || hit[0].ID != page[3].ID {
		t.Fatalf("exact search by transaction_id %s: %d orders, %v", page[3].TransactionID, len(hit), err)
	}
	tot, err := st.OrderTotals(ctx, models.OrderFilter{From: now.Add(-10 * 24 * time.Hour)})
	if err != nil || tot.Count == 0 || tot.PaidCount == 0 || tot.PaidFee <= 0 {
		t.Fatalf("totals of the last 10 days: %+v, %v", tot, err)
	}
	// All-time totals come from the daily aggregates: the load counted in them.
	all, err := st.OrderTotals(ctx, models.OrderFilter{})
	if err != nil || all.Count != n || all.PaidCount != int64(paid) {
		t.Fatalf("all-time totals from the daily aggregates: %+v, %v; want %d orders, %d paid", all, err, n, paid)
	}
}

func TestRunRefusesANegativeCount(t *testing.T) {
	st := testrig.MustOpenStore(t)
	if _, err := seed.Run(context.Background(), st, seed.Options{Orders: -1}); err == nil {
		t.Fatal("seeded -1 orders without an error")
	}
}

// TestRunWithRetentionLoadsAPrunedPast: with a retention, routine entries
// older than it are loaded as the pruner leaves them, newer ones and the
// evidence keep their bodies, and the pruner finds nothing left to walk.
func TestRunWithRetentionLoadsAPrunedPast(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	now := time.Now().UTC()
	const retention = 720 * time.Hour
	if _, err := seed.Run(ctx, st, seed.Options{Orders: 300, Now: now, Chunk: 100, Seed: 3, Retention: retention}); err != nil {
		t.Fatal(err)
	}
	var pruned, oldKept, freshBodies int
	err := st.EachOrder(ctx, models.OrderFilter{}, func(o *models.Order) error {
		evs, err := st.Events(ctx, o.ID)
		for _, e := range evs {
			old := e.CreatedAt.Before(now.Add(-retention))
			switch {
			case e.RawDigest != "":
				pruned++
				if !old || e.Request+e.Response != "" {
					t.Errorf("%s of %s at %s: pruned but fresh, or bodies left", e.Kind, o.OutTradeNo, e.CreatedAt)
				}
			case old && e.RawPrunable():
				t.Errorf("%s of %s at %s: old routine entry kept its bodies", e.Kind, o.OutTradeNo, e.CreatedAt)
			case old && e.Request != "":
				oldKept++ // evidence: notifications, a query that found the payment
			case e.Request != "":
				freshBodies++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if pruned == 0 || oldKept == 0 || freshBodies == 0 {
		t.Errorf("pruned %d, old evidence kept %d, fresh bodies %d: want some of each", pruned, oldKept, freshBodies)
	}
	seen, n, err := st.PruneRawBodies(ctx, now.Add(-retention), 500)
	if err != nil || seen != 0 || n != 0 {
		t.Errorf("the pruner walked %d entries and pruned %d (%v): want nothing left to walk", seen, n, err)
	}
}
