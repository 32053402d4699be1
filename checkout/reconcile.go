package checkout

import (
	"context"
	"sync"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
)

// WeChat does not guarantee notifications, so the reconciler asks. For every
// unpaid order it runs orderquery on a backoff until the order is paid or
// expired; when the TTL has passed it queries once more and closes the order
// at WeChat and locally. All its state (next_query_at, prepay) is in the
// database, so after a restart — even kill -9 — it resumes where it was.
const (
	firstQueryAfter = 10 * time.Second // first query after creation: within 15 s of the QR being shown
	minQueryGap     = 10 * time.Second // never more often than this per order
	maxQueryGap     = 30 * time.Second // a missed notification is found within this (plus a tick)
	prepayGrace     = time.Minute      // longer than a checkout's own unifiedorder attempts take
)

// queryGap is the wait after the n-th query (n from 1): every 10 s for the
// first minute, then 20 s, then 30 s.
func queryGap(n int) time.Duration {
	switch {
	case n <= 6:
		return minQueryGap
	case n <= 9:
		return 20 * time.Second
	}
	return maxQueryGap
}

// recoverPrepay re-enters a unifiedorder whose outcome was never recorded,
// with the fields first sent; prepay marks it FAILED if WeChat refuses.
func (s *Service) recoverPrepay(ctx context.Context, o *models.Order) {
	s.log.Info("reconcile: re-entering unifiedorder with an unknown outcome", "out_trade_no", o.OutTradeNo)
	if _, err := s.prepay(ctx, o, "reconciler"); err != nil {
		s.log.Warn("reconcile: unifiedorder re-entry failed", "out_trade_no", o.OutTradeNo, "err", err)
	}
}

// reconcile queries one unpaid order and applies the answer; past its
// expiry it closes the order.
func (s *Service) reconcile(ctx context.Context, o *models.Order) {
	if o.Prepay == models.PrepayPending {
		return // recoverPrepay's business; no order exists at WeChat yet
	}
	now := s.now()
	if !now.Before(o.ExpiresAt) {
		s.expire(ctx, o, now)
		return
	}
	state, err := s.query(ctx, o, "reconciler")
	switch {
	case ctx.Err() != nil:
		return // stopping: the order stays due and is asked about after the restart
	case err == nil && !state.Open():
		return // paid or closed: query applied it
	case anomalous(err):
		s.log.Warn("reconcile: an answer that cannot be applied; backing off", "out_trade_no", o.OutTradeNo, "err", err)
		s.schedule(ctx, o, now.Add(anomalyGap(o.QueryAnomalies+1)), true, "")
		return
	case err != nil:
		s.log.Warn("reconcile: orderquery", "out_trade_no", o.OutTradeNo, "err", err)
		state = ""
	}
	s.schedule(ctx, o, now.Add(queryGap(o.Queries+1)), false, state)
}

// anomalous: an answer that asking again soon will not change — WeChat does
// not know the order (the simulator restarted, the merchant changed), or it
// keeps reporting a payment of another amount. Such orders back off and end
// when their time is up, closed locally and flagged for the admin.
func anomalous(err error) bool {
	return wxpay.IsOrderNotExist(err) || RefusalOf(err) == models.RefusalAmountMismatch
}

// anomalyGap is the wait after the n-th anomalous answer in a row: one
// minute, doubling up to a quarter of an hour; never shorter than the
// normal schedule.
func anomalyGap(n int) time.Duration {
	gap := time.Minute
	for i := 1; i < n && gap < maxAnomalyGap; i++ {
		gap *= 2
	}
	return min(gap, maxAnomalyGap)
}

const maxAnomalyGap = 15 * time.Minute

// expire closes an unpaid order whose TTL has passed: one more query first
// (a late payment wins), then closeorder — not before five minutes after
// creation, which WeChat refuses. An order WeChat does not know, or that it
// says was paid another amount, is closed locally and flagged.
func (s *Service) expire(ctx context.Context, o *models.Order, now time.Time) {
	if earliest := o.CreatedAt.Add(s.minCloseAge()); now.Before(earliest) {
		s.schedule(ctx, o, earliest, false, "")
		return
	}
	// Out of the round's batch: this query's record must precede the close.
	state, err := s.query(context.WithValue(ctx, roundKey{}, (*roundWrites)(nil)), o, "reconciler")
	closing := models.Closing{Reason: "expired unpaid", Actor: "reconciler"}
	switch {
	case err == nil && !state.Open():
		return // paid or closed: query applied it
	case err == nil:
		if err = s.closeAtWeChat(ctx, o, "reconciler"); err == nil {
			s.closeWxOrders(ctx, o, "reconciler")
		}
	case wxpay.IsOrderNotExist(err):
		closing, err = models.Closing{Reason: "its time is up and WeChat does not know the order (ORDERNOTEXIST)",
			Actor: "reconciler", Flag: models.FlagNotAtWeChat}, nil
	case RefusalOf(err) == models.RefusalAmountMismatch:
		closing, err = models.Closing{Reason: "its time is up and WeChat reports a payment of another amount: check it at WeChat and refund",
			Actor: "reconciler", Flag: models.FlagAmountMismatch}, nil
	}
	if err == nil {
		_, _, err = s.markClosed(ctx, o.OutTradeNo, closing)
	}
	if err != nil && KindOf(err) != KindConflict {
		s.log.Warn("reconcile: expire", "out_trade_no", o.OutTradeNo, "err", err)
		s.schedule(ctx, o, now.Add(anomalyGap(o.QueryAnomalies+1)), true, "")
	}
}

// schedule sets the order's next query, no later than its expiry while it
// is still payable, and counts the query just made with WeChat's answer
// (state; "" when there was none to keep); anomaly counts an answer that
// could not be applied (a normal one resets the count). In a reconciler
// round it joins the round's batch (roundWrites), else it is written now.
func (s *Service) schedule(ctx context.Context, o *models.Order, next time.Time, anomaly bool, state models.TradeState) {
	now := s.now()
	if now.Before(o.ExpiresAt) && next.After(o.ExpiresAt) {
		next = o.ExpiresAt
	}
	q := store.QueryDone{ID: o.ID, Next: next, At: now, State: string(state), Anomaly: anomaly}
	if r := roundOf(ctx); r != nil {
		r.add(ctx, q)
		return
	}
	s.writeSchedules(ctx, []store.QueryDone{q}, nil)
}

// roundWrites gathers a round's queries that changed nothing but their
// order's schedule and writes them together, flushEvery at a time and the
// rest when the round ends: one store write (one commit) for many queries
// instead of one each, which is what bounded the reconciler's rate
// (BENCHMARKS.md). Nothing is lost by the delay: a payment or a close is
// never recorded here — query applies it through the order's own
// transition (ConfirmPayment, markClosed) before it returns — and if the
// process stops between a query and its batch's write, the order keeps its
// old next_query_at, is still due (on PostgreSQL, once its claim expires
// within store.ClaimLease) and is simply asked about again.
type roundWrites struct {
	s   *Service
	mu  sync.Mutex
	qs  []store.QueryDone
	evs []*models.OrderEvent
}

type roundKey struct{}

// roundOf is the round ctx belongs to, or nil outside the reconciler.
func roundOf(ctx context.Context) *roundWrites {
	r, _ := ctx.Value(roundKey{}).(*roundWrites)
	return r
}

// flushEvery is how many schedules a round gathers before writing them
// while the round goes on, so the writer works alongside the queries.
const flushEvery = 256

func (r *roundWrites) add(ctx context.Context, q store.QueryDone) {
	r.mu.Lock()
	r.qs = append(r.qs, q)
	r.mu.Unlock()
	r.flushIfFull(ctx)
}

// addEvent keeps the record of a query that left its order open (the
// first answer, a failure); written with the round's schedules.
func (r *roundWrites) addEvent(ctx context.Context, o *models.Order, ev *models.OrderEvent) {
	id := o.ID
	ev.OrderID, ev.OutTradeNo = &id, o.OutTradeNo
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
	r.flushIfFull(ctx)
}

func (r *roundWrites) flushIfFull(ctx context.Context) {
	r.mu.Lock()
	if len(r.qs)+len(r.evs) < flushEvery {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.flush(ctx)
}

func (r *roundWrites) flush(ctx context.Context) {
	r.mu.Lock()
	qs, evs := r.qs, r.evs
	r.qs, r.evs = nil, nil
	r.mu.Unlock()
	r.s.writeSchedules(ctx, qs, evs)
}

// writeSchedules writes queries already made, even while the reconciler
// stops: WeChat was asked, so the order's count and next time stand.
func (s *Service) writeSchedules(ctx context.Context, qs []store.QueryDone, evs []*models.OrderEvent) {
	if err := s.store.ScheduleQueries(context.WithoutCancel(ctx), qs, evs...); err != nil {
		s.log.Error("reconcile: schedule", "orders", len(qs), "events", len(evs), "err", err)
	}
}
