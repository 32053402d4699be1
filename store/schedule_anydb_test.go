package store_test

import (
	"context"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// A round's schedules in one write: each open order counted and moved on
// with its own values, a paid one left alone, the kept records written.
func TestScheduleQueriesOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	a := newOpenOrder(t, st, "ANYDB-SQ-A", "10.0.1.1")
	b := newOpenOrder(t, st, "ANYDB-SQ-B", "10.0.1.2")
	paid := newOpenOrder(t, st, "ANYDB-SQ-P", "10.0.1.3")
	_, _, err := st.UpdateOrder(ctx, paid.OutTradeNo, func(cur models.Order) models.Change {
		ch, _ := cur.Pay(payment(paid, "4200000009"))
		return ch
	})
	must(t, err)
	must(t, st.ScheduleQuery(ctx, b.ID, anyDBNow.Add(time.Minute), true, anyDBNow, "NOTPAY"))
	ev := &models.OrderEvent{Kind: models.EventQuery, Actor: "reconciler", Summary: "SUCCESS", OrderID: &a.ID, OutTradeNo: a.OutTradeNo}
	must(t, st.ScheduleQueries(ctx, []store.QueryDone{
		{ID: a.ID, Next: anyDBNow.Add(10 * time.Second), At: anyDBNow, State: "NOTPAY"},
		{ID: b.ID, Next: anyDBNow.Add(2 * time.Minute), At: anyDBNow.Add(time.Second), Anomaly: true}, // no answer: state kept
		{ID: paid.ID, Next: anyDBNow.Add(time.Hour), At: anyDBNow},
	}, ev))
	for _, c := range []struct {
		o                    *models.Order
		next                 time.Time
		queries, anomalies   int
		state                string
		events               int64
		status               models.OrderStatus
		wantLastQueryUpdated bool
	}{
		{a, anyDBNow.Add(10 * time.Second), 1, 0, "NOTPAY", 2, models.StatusNotPay, true},
		{b, anyDBNow.Add(2 * time.Minute), 2, 2, "NOTPAY", 1, models.StatusNotPay, true},
		{paid, paid.NextQueryAt, 0, 0, "", 2, models.StatusPaid, false},
	} {
		got, err := st.OrderByOutTradeNo(ctx, c.o.OutTradeNo)
		must(t, err)
		tl, err := st.Timeline(ctx, c.o.ID, 0, 10)
		must(t, err)
		if got.Status != c.status || !got.NextQueryAt.Equal(c.next) || got.Queries != c.queries ||
			got.QueryAnomalies != c.anomalies || got.LastQueryState != c.state || tl.Total != c.events ||
			(got.LastQueryAt != nil) != c.wantLastQueryUpdated {
			t.Errorf("%s: status %s, next %v, queries %d, anomalies %d, state %q, events %d, last query %v; want %s, %v, %d, %d, %q, %d",
				c.o.OutTradeNo, got.Status, got.NextQueryAt, got.Queries, got.QueryAnomalies, got.LastQueryState, tl.Total,
				got.LastQueryAt, c.status, c.next, c.queries, c.anomalies, c.state, c.events)
		}
	}
}
