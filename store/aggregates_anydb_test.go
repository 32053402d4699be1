package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// recountDays recomputes the daily aggregates from the orders table, in
// Go and in Beijing time: what DayRows must hold.
func recountDays(t *testing.T, st *store.Store) (map[string][3]int64, map[string][2]int64) {
	t.Helper()
	orders, paid := map[string][3]int64{}, map[string][2]int64{}
	err := st.EachOrder(context.Background(), models.OrderFilter{}, func(o *models.Order) error {
		k := o.CreatedAt.In(testrig.Shanghai).Format(time.DateOnly) + "|" + string(o.Status)
		r := orders[k]
		orders[k] = [3]int64{r[0] + 1, r[1] + int64(o.TotalFee), r[2] + int64(o.RefundedFee)}
		if o.Status.Paid() && o.PaidAt != nil {
			d := o.PaidAt.In(testrig.Shanghai).Format(time.DateOnly)
			p := paid[d]
			paid[d] = [2]int64{p[0] + 1, p[1] + int64(o.TotalFee-o.RefundedFee)}
		}
		return nil
	})
	must(t, err)
	return orders, paid
}

// checkDays fails t unless the aggregates equal a recount of the orders.
func checkDays(t *testing.T, st *store.Store) {
	t.Helper()
	gotO, gotP, err := st.DayRows(context.Background())
	must(t, err)
	wantO, wantP := recountDays(t, st)
	if !maps.Equal(gotO, wantO) {
		t.Errorf("order_days\n got %v\nwant %v", gotO, wantO)
	}
	if !maps.Equal(gotP, wantP) {
		t.Errorf("paid_days\n got %v\nwant %v", gotP, wantP)
	}
}

// TestDailyAggregatesFollowOrders: after a random mix of creates,
// payments, closes, refunds (partial, full, refused by WeChat) and
// renewals, the aggregates are a recount of the orders, and the totals
// and chart read from them match the orders' own queries.
func TestDailyAggregatesFollowOrders(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 17))
	t.Logf("seed %d", seed)
	// Around Beijing midnights: 23:30 Beijing is 15:30 UTC of the same
	// UTC day as 00:30 Beijing of the next day.
	base := time.Date(2026, 11, 18, 15, 30, 0, 0, time.UTC)
	var nos []string
	for i := range 60 {
		no := fmt.Sprintf("AGG-%04d", i)
		created := base.Add(time.Duration(rng.IntN(4*24)) * time.Hour)
		o := newOpenOrderAt(t, st, no, created)
		nos = append(nos, o.OutTradeNo)
		for range rng.IntN(4) {
			switch rng.IntN(5) {
			case 0:
				_, _, err := st.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
					return cur.Close(models.Closing{Reason: "expired", Actor: "reconciler", At: created.Add(time.Hour)})
				})
				must(t, err)
			case 1, 2:
				_, _, err := st.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
					p := payment(&cur, "4200"+no)
					p.PaidAt = created.Add(time.Duration(rng.IntN(3*60)) * time.Minute)
					ch, err := cur.Pay(p)
					must(t, err)
					return ch
				})
				must(t, err)
			case 3:
				cur, err := st.OrderByOutTradeNo(ctx, no)
				must(t, err)
				if !cur.Status.Paid() || cur.Refundable() == 0 {
					continue
				}
				amount := cur.Refundable()
				if rng.IntN(2) == 0 {
					amount = 1 + models.Money(rng.Int64N(int64(amount)))
				}
				rno := fmt.Sprintf("R%s-%d", no, cur.RefundCount)
				_, _, err = st.CreateRefund(ctx, no, &models.Refund{OutRefundNo: rno, Amount: amount})
				must(t, err)
				status := models.RefundSuccess
				if rng.IntN(4) == 0 {
					status = models.RefundClosed
				}
				_, _, _, err = st.EndRefund(ctx, rno, status, "", created.Add(5*time.Hour), end)
				must(t, err)
			case 4:
				next := fmt.Sprintf("%s-R%d", no, rng.IntN(1000))
				succ := openOrderValue(t, st, next, created.Add(10*time.Minute))
				_, _, err := st.CreateSuccessor(ctx, no, succ, created0(next),
					func(cur models.Order) models.Change { return cur.Renewed(next, "shopper") })
				must(t, err)
			}
		}
	}
	checkDays(t, st)
	if t.Failed() {
		return
	}
	// The totals and chart from the aggregates equal the orders' queries
	// (a bound one second off a Beijing midnight takes that path).
	from, to := bjDay("2026-11-19"), bjDay("2026-11-22")
	for _, f := range []models.OrderFilter{{}, {From: from, To: to}, {Status: models.StatusRefund}, {Status: models.StatusPaid, From: from}} {
		got, err := st.OrderTotals(ctx, f)
		must(t, err)
		slow := f
		if slow.From.IsZero() {
			slow.From = bjDay("2026-01-01")
		}
		slow.From = slow.From.Add(-time.Second)
		want, err := st.OrderTotals(ctx, slow)
		must(t, err)
		if got != want {
			t.Errorf("totals of %+v: %+v from the aggregates, %+v from the orders", f, got, want)
		}
	}
	got, err := st.PaidPerDay(ctx, from, to)
	must(t, err)
	want, err := st.PaidPerDay(ctx, from.Add(-time.Second), to)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chart: %v from the aggregates, %v from the orders", got, want)
	}
}

// openOrderValue is an unpaid order created at created, not yet stored.
func openOrderValue(t *testing.T, st *store.Store, no string, created time.Time) *models.Order {
	t.Helper()
	p, err := st.ProductBySKU(context.Background(), "COFFEE")
	must(t, err)
	return &models.Order{OutTradeNo: no, Token: "tok-" + no, ProductID: &p.ID, SKU: p.SKU, Body: p.Name,
		Quantity: 1 + len(no)%3, UnitPrice: p.Price, TotalFee: models.Money(1+len(no)%3) * p.Price, Status: models.StatusNotPay,
		Prepay: models.PrepayDone, TimeStart: created, ExpiresAt: created.Add(15 * time.Minute), NextQueryAt: created.Add(time.Minute),
		CreatedAt: created}
}

func newOpenOrderAt(t *testing.T, st *store.Store, no string, created time.Time) *models.Order {
	t.Helper()
	o := openOrderValue(t, st, no, created)
	must(t, st.CreateOrder(context.Background(), o, created0(no)))
	return o
}

func created0(no string) *models.OrderEvent {
	return &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper", Summary: "created " + no}
}

// An order created at 23:30 Beijing (15:30 UTC) counts on its Beijing day,
// and its payment at 00:10 the next Beijing day on that one.
func TestDailyAggregatesBeijingDay(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrderAt(t, st, "AGG-TZ", time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC))
	_, _, err := st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
		p := payment(&cur, "4200TZ")
		p.PaidAt = time.Date(2026, 11, 21, 0, 10, 0, 0, testrig.Shanghai)
		ch, err := cur.Pay(p)
		must(t, err)
		return ch
	})
	must(t, err)
	orders, paid, err := st.DayRows(ctx)
	must(t, err)
	if len(orders) != 1 || orders["2026-11-20|PAID"] != [3]int64{1, int64(o.TotalFee), 0} {
		t.Errorf("order_days %v; want the order on 2026-11-20, Beijing", orders)
	}
	if len(paid) != 1 || paid["2026-11-21"][0] != 1 {
		t.Errorf("paid_days %v; want the payment on 2026-11-21, Beijing", paid)
	}
	tot, err := st.OrderTotals(ctx, models.OrderFilter{From: bjDay("2026-11-20"), To: bjDay("2026-11-21")})
	must(t, err)
	if tot.Count != 1 || tot.PaidCount != 1 || tot.PaidFee != o.TotalFee {
		t.Errorf("totals of 2026-11-20: %+v", tot)
	}
	checkDays(t, st)
}

// Concurrent payments and refunds (each its own write; on PostgreSQL its
// own transaction on the same aggregate rows) still sum right.
func TestDailyAggregatesConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	created := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	const n = 24
	for i := range n {
		newOpenOrderAt(t, st, fmt.Sprintf("AGG-C%02d", i), created.Add(time.Duration(i)*time.Minute))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := fmt.Sprintf("AGG-C%02d", i)
			for range 2 { // the same payment twice: applied once
				_, _, err := st.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
					ch, _ := cur.Pay(payment(&cur, "4200"+no))
					return ch
				})
				if err != nil {
					errs <- err
					return
				}
			}
			if i%2 == 0 {
				rno := "R" + no
				if _, _, err := st.CreateRefund(ctx, no, &models.Refund{OutRefundNo: rno, Amount: models.Money(100 + i)}); err != nil {
					errs <- err
					return
				}
				if _, _, _, err := st.EndRefund(ctx, rno, models.RefundSuccess, "", created, end); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkDays(t, st)
	tot, err := st.OrderTotals(ctx, models.OrderFilter{})
	must(t, err)
	if tot.Count != n || tot.PaidCount != n {
		t.Errorf("totals %+v; want %d orders, all paid", tot, n)
	}
}

// A database from before the aggregates gets them when it is opened, once.
func TestDailyAggregatesBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(path)
	must(t, err)
	must(t, st.SeedProducts(ctx, testrig.Products))
	testrig.SeedOrders(t, st, 50, newest)
	must(t, st.ForgetDays(ctx))
	if o, p, err := st.DayRows(ctx); err != nil || len(o)+len(p) != 0 {
		t.Fatalf("forgotten aggregates: %v %v %v", o, p, err)
	}
	must(t, st.Close())
	st, err = store.Open(path)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	checkDays(t, st)
	// Once: a second run finds the mark and leaves the rows alone.
	must(t, st.BackfillDays(ctx))
	checkDays(t, st)
}

// The same on any database: the migration's step itself.
func TestDailyAggregatesBackfillAnyDB(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	testrig.SeedOrders(t, st, 30, newest)
	must(t, st.ForgetDays(ctx))
	must(t, st.BackfillDays(ctx))
	checkDays(t, st)
}

// The totals and the chart of whole days read their aggregate table by its
// key, never the orders.
func TestDailyAggregatesQueryPlans(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "plan.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	from, to := bjDay("2026-10-24"), bjDay("2026-11-23")
	for _, c := range []struct {
		which, table string
		f            models.OrderFilter
	}{
		{"day-totals", "order_days", models.OrderFilter{From: from, To: to}},
		{"day-totals", "order_days", models.OrderFilter{Status: models.StatusPaid, From: from, To: to}},
		{"day-totals", "order_days", models.OrderFilter{From: from}},
		{"day-chart", "paid_days", models.OrderFilter{From: from, To: to}},
	} {
		sql, err := st.AdminQuerySQL(ctx, c.which, c.f)
		must(t, err)
		plan, err := st.QueryPlan(ctx, sql)
		must(t, err)
		if !strings.Contains(plan, "SEARCH "+c.table+" USING INDEX sqlite_autoindex_"+c.table+"_1 (day>") ||
			strings.Contains(plan, "orders") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s %+v:\n%s\nplan:\n%s", c.which, c.f, sql, plan)
		}
	}
	if _, err := st.AdminQuerySQL(ctx, "day-totals", models.OrderFilter{Query: "COFFEE"}); err == nil {
		t.Error("a search was answered from the aggregates")
	}
}
