package checkout

import (
	"context"
	"fmt"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// WeChat forbids closeorder within five minutes of an order's creation:
// API v2's rule; v3 has none.
const minCloseAge = 5 * time.Minute

// closeAger is a WeChat whose API sets its own minimum age for closing an
// order (the v3 adapter: none).
type closeAger interface{ MinCloseAge() time.Duration }

// minCloseAge is how soon after creation WeChat lets an order be closed.
func (s *Service) minCloseAge() time.Duration {
	if c, ok := s.wx.(closeAger); ok {
		return c.MinCloseAge()
	}
	return minCloseAge
}

// recordCall keeps a call to WeChat, its request and reply, in the timeline.
func (s *Service) recordCall(ctx context.Context, o *models.Order, kind string, err error, x *wxpay.Exchange, actor string, attempt int) {
	summary := "SUCCESS"
	if err != nil {
		summary = clip(err.Error())
	}
	if attempt > 1 {
		summary = fmt.Sprintf("attempt %d: %s", attempt, summary)
	}
	if aerr := s.store.AddEvent(ctx, o, exchangeEvent(kind, x, err == nil, summary, actor)); aerr != nil {
		s.log.Error("record call", "out_trade_no", o.OutTradeNo, "kind", kind, "err", aerr)
	}
}

// queryEvent is the timeline record of one orderquery (see recordCall).
func queryEvent(err error, x *wxpay.Exchange, actor string) *models.OrderEvent {
	summary := "SUCCESS"
	if err != nil {
		summary = clip(err.Error())
	}
	return exchangeEvent(models.EventQuery, x, err == nil, summary, actor)
}

// routineQuery reports whether a reconciler's orderquery answered what the
// order's last one did and left the order payable: such a query is
// counted on the order (Queries, LastQueryAt), not kept in the timeline
// with its XML. The first answer, a changed one, a failure and every
// query an admin or shopper asks for are kept.
func routineQuery(o *models.Order, actor string, state models.TradeState, err error, last string) bool {
	return actor == "reconciler" && err == nil && state.Open() && last != "" && string(state) == last
}

// wxExchange picks the wire record from a reply or from the error.
func wxExchange[T any](resp *T, err error) *wxpay.Exchange {
	if err != nil {
		return wxpay.ExchangeOf(err)
	}
	switch r := any(resp).(type) {
	case *wxpay.UnifiedOrderResponse:
		return r.Exchange
	case *wxpay.OrderQueryResponse:
		return r.Exchange
	case *wxpay.CloseOrderResponse:
		return r.Exchange
	}
	return nil
}

// Sync asks WeChat for the order's state and applies it: a payment goes
// through ConfirmPayment, a closed trade closes the order locally.
func (s *Service) Sync(ctx context.Context, no, actor string) error {
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return err
	}
	_, err = s.query(ctx, o, actor)
	return err
}

// query runs orderquery for the order's own WeChat order and its further
// ones (SPEC §9), records each, and applies what they say: a payment of any
// of them pays the order; the order's own trade closing closes it. It
// returns the state of the order's own WeChat order, or SUCCESS when a
// further one was paid.
func (s *Service) query(ctx context.Context, o *models.Order, actor string) (models.TradeState, error) {
	if err := pace(ctx); err != nil {
		return "", err
	}
	q, err := s.wx.OrderQuery(ctx, o.OutTradeNo)
	var state models.TradeState
	if err == nil {
		state = models.TradeState(q.TradeState)
	}
	if !routineQuery(o, actor, state, err, o.LastQueryState) {
		if r := roundOf(ctx); r != nil && (err != nil || state.Open()) {
			// The order stays open: its record joins the round's batch.
			r.addEvent(ctx, o, queryEvent(err, wxExchange(q, err), actor))
		} else {
			s.recordCall(ctx, o, models.EventQuery, err, wxExchange(q, err), actor, 1)
		}
	}
	if err != nil {
		err = newError(KindUpstream, msgQueryFailed, err, wxErrorText(err))
	} else if state.Paid() {
		_, _, err = s.ConfirmPayment(ctx, paymentFromQuery(q, actor))
		return state, err
	}
	if paid, perr := s.queryWxOrders(ctx, o, actor); perr != nil || paid {
		if paid {
			return models.TradeSuccess, perr
		}
		s.log.Warn("query further WeChat orders", "out_trade_no", o.OutTradeNo, "err", LogText(perr))
	}
	if err == nil && state.Closed() {
		_, _, err = s.markClosed(ctx, o.OutTradeNo, models.Closing{Reason: "WeChat trade_state " + q.TradeState, Actor: actor})
	}
	return state, err
}

// queryWxOrders asks WeChat about each further WeChat order of o that may
// have been placed — one whose placement's outcome is unknown too — and
// applies the first payment found.
func (s *Service) queryWxOrders(ctx context.Context, o *models.Order, actor string) (bool, error) {
	ws, err := s.store.WxOrders(ctx, o.ID)
	if err != nil || len(ws) == 0 {
		return false, err
	}
	for _, w := range ws {
		if w.Prepay == models.PrepayFailed {
			continue // WeChat refused it: there is nothing to pay
		}
		if err := pace(ctx); err != nil {
			return false, err
		}
		q, err := s.wx.OrderQuery(ctx, w.OutTradeNo)
		if err != nil && w.Prepay == models.PrepayPending && wxpay.IsOrderNotExist(err) {
			continue // never reached WeChat
		}
		var state models.TradeState
		if err == nil {
			state = models.TradeState(q.TradeState)
		}
		// The order's own last answer stands for its further orders': after
		// the first round, their unchanged answers are counted, not kept.
		last := ""
		if o.LastQueryState != "" {
			last = string(state)
		}
		if !routineQuery(o, actor, state, err, last) {
			if r := roundOf(ctx); r != nil && (err != nil || state.Open()) {
				r.addEvent(ctx, o, queryEvent(err, wxExchange(q, err), actor))
			} else {
				s.recordCall(ctx, o, models.EventQuery, err, wxExchange(q, err), actor, 1)
			}
		}
		if err == nil && models.TradeState(q.TradeState).Paid() {
			_, _, err = s.ConfirmPayment(ctx, paymentFromQuery(q, actor))
			return err == nil, err
		}
	}
	return false, nil
}

// closeWxOrders closes o's further WeChat orders at WeChat, best effort:
// each has the order's time_expire, so WeChat ends it anyway when the
// order's time is up. One found paid is recorded (ConfirmPayment).
func (s *Service) closeWxOrders(ctx context.Context, o *models.Order, actor string) {
	ws, err := s.store.WxOrders(ctx, o.ID)
	if err != nil {
		s.log.Warn("close further WeChat orders", "out_trade_no", o.OutTradeNo, "err", err)
		return
	}
	for _, w := range ws {
		if w.Prepay != models.PrepayDone || s.now().Sub(w.CreatedAt) < s.minCloseAge() {
			continue
		}
		r, err := s.wx.CloseOrder(ctx, w.OutTradeNo)
		s.recordCall(ctx, o, models.EventClose, err, wxExchange(r, err), actor, 1)
		if wxpay.IsOrderPaid(err) {
			if q, qerr := s.wx.OrderQuery(ctx, w.OutTradeNo); qerr == nil && models.TradeState(q.TradeState).Paid() {
				_, _, _ = s.ConfirmPayment(ctx, paymentFromQuery(q, actor))
			}
		}
	}
}

// Close closes an unpaid order at WeChat and then locally. It queries first,
// as WeChat asks, so a payment that raced the close is recorded instead.
func (s *Service) Close(ctx context.Context, no, actor string) (*models.Order, error) {
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return nil, err
	}
	if !o.Status.Open() {
		return o, newError(KindConflict, msgNotClosable, nil, o.Status)
	}
	if least, age := s.minCloseAge(), s.now().Sub(o.CreatedAt); age < least {
		return o, newError(KindConflict, msgCloseTooSoon, nil, int((least-age).Seconds())+1)
	}
	if o.Prepay == models.PrepayDone {
		state, err := s.query(ctx, o, actor)
		if err != nil || state.Paid() {
			return s.reload(ctx, no, err)
		}
		if err := s.closeAtWeChat(ctx, o, actor); err != nil {
			return s.reload(ctx, no, err)
		}
		s.closeWxOrders(ctx, o, actor)
	}
	_, _, err = s.markClosed(ctx, no, models.Closing{Reason: "closed by " + actor, Actor: actor})
	return s.reload(ctx, no, err)
}

func (s *Service) closeAtWeChat(ctx context.Context, o *models.Order, actor string) error {
	r, err := s.wx.CloseOrder(ctx, o.OutTradeNo)
	s.recordCall(ctx, o, models.EventClose, err, wxExchange(r, err), actor, 1)
	switch {
	case err == nil, wxpay.IsOrderClosed(err):
		return nil
	case wxpay.IsOrderPaid(err):
		// Paid between our query and the close: the outcome is known once the
		// payment is recorded, as when the query before the close finds it.
		state, qerr := s.query(ctx, o, actor)
		if qerr == nil && !state.Paid() {
			qerr = newError(KindUpstream, msgPaidNotQueried, fmt.Errorf("closeorder says ORDERPAID but orderquery says %s: %w", state, err))
		}
		return qerr
	}
	return newError(KindUpstream, msgCloseFailed, err, wxErrorText(err))
}

func (s *Service) reload(ctx context.Context, no string, err error) (*models.Order, error) {
	o, lerr := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return o, err
	}
	return o, lerr
}

// markClosed closes an unpaid order locally; it never touches a PAID order.
func (s *Service) markClosed(ctx context.Context, no string, c models.Closing) (*models.Order, bool, error) {
	if c.At.IsZero() {
		c.At = s.now()
	}
	o, applied, err := s.update(ctx, no, func(cur models.Order) models.Change {
		ch := cur.Close(c)
		if !ch.Changed() {
			return ch
		}
		return ch.Notify(s.notices(ch.After, models.TypeOrderClosed)...)
	})
	if err != nil {
		return nil, false, newError(KindInternal, msgInternal, err)
	}
	return o, applied, nil
}
