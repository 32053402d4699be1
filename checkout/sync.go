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

// query runs orderquery, records it, and applies what it says. It returns the
// trade state.
func (s *Service) query(ctx context.Context, o *models.Order, actor string) (models.TradeState, error) {
	q, err := s.wx.OrderQuery(ctx, o.OutTradeNo)
	s.recordCall(ctx, o, models.EventQuery, err, wxExchange(q, err), actor, 1)
	if err != nil {
		return "", newError(KindUpstream, msgQueryFailed, err, wxErrorText(err))
	}
	state := models.TradeState(q.TradeState)
	switch {
	case state.Paid():
		_, _, err = s.ConfirmPayment(ctx, paymentFromQuery(q, actor))
	case state.Closed():
		_, _, err = s.markClosed(ctx, o.OutTradeNo, models.Closing{Reason: "WeChat trade_state " + q.TradeState, Actor: actor})
	}
	return state, err
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
