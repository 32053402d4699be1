package checkout

import (
	"context"
	"fmt"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// WeChat forbids closeorder within five minutes of an order's creation.
const minCloseAge = 5 * time.Minute

// recordCall keeps a call to WeChat, its request and reply, in the timeline.
func (s *Service) recordCall(ctx context.Context, o *models.Order, kind string, err error, x *wxpay.Exchange, actor string, attempt int) {
	summary := "SUCCESS"
	if err != nil {
		summary = err.Error()
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
func (s *Service) query(ctx context.Context, o *models.Order, actor string) (string, error) {
	q, err := s.wx.OrderQuery(ctx, o.OutTradeNo)
	s.recordCall(ctx, o, models.EventQuery, err, wxExchange(q, err), actor, 1)
	if err != nil {
		return "", newError(KindUpstream, "查询微信支付失败 / orderquery failed: "+wxErrorText(err), err)
	}
	switch q.TradeState {
	case wxpay.TradeSuccess, wxpay.TradeRefund:
		_, _, err = s.ConfirmPayment(ctx, paymentFromQuery(q, actor))
	case wxpay.TradeClosed, wxpay.TradeRevoked:
		_, _, err = s.markClosed(ctx, o.OutTradeNo, "WeChat trade_state "+q.TradeState, actor)
	}
	return q.TradeState, err
}

// Close closes an unpaid order at WeChat and then locally. It queries first,
// as WeChat asks, so a payment that raced the close is recorded instead.
func (s *Service) Close(ctx context.Context, no, actor string) (*models.Order, error) {
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return nil, err
	}
	if o.Status != models.StatusNotPay {
		return o, newError(KindConflict, fmt.Sprintf("订单状态为 %s，无需关闭 / the order is %s", o.Status, o.Status), nil)
	}
	if age := s.now().Sub(o.CreatedAt); age < minCloseAge {
		return o, newError(KindConflict, fmt.Sprintf("下单 5 分钟内不能关闭（还需 %d 秒）/ WeChat refuses to close an order within 5 minutes of creation (%d s to go)",
			int((minCloseAge-age).Seconds())+1, int((minCloseAge-age).Seconds())+1), nil)
	}
	if o.Prepay == models.PrepayDone {
		state, err := s.query(ctx, o, actor)
		if err != nil || state == wxpay.TradeSuccess || state == wxpay.TradeRefund {
			return s.reload(ctx, no, err)
		}
		if err := s.closeAtWeChat(ctx, o, actor); err != nil {
			return s.reload(ctx, no, err)
		}
	}
	_, _, err = s.markClosed(ctx, no, "closed by "+actor, actor)
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
		if qerr == nil && state != wxpay.TradeSuccess && state != wxpay.TradeRefund {
			qerr = newError(KindUpstream, "closeorder says ORDERPAID but orderquery says "+state, err)
		}
		return qerr
	}
	return newError(KindUpstream, "关闭订单失败 / closeorder failed: "+wxErrorText(err), err)
}

func (s *Service) reload(ctx context.Context, no string, err error) (*models.Order, error) {
	o, lerr := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return o, err
	}
	return o, lerr
}

// markClosed closes an unpaid order locally; it never touches a PAID order.
func (s *Service) markClosed(ctx context.Context, no, reason, actor string) (*models.Order, bool, error) {
	o, applied, err := s.store.UpdateOrder(ctx, no, func(cur *models.Order) (map[string]any, []*models.OrderEvent) {
		if cur.Status != models.StatusNotPay { // never closes a PAID order
			return nil, nil
		}
		return map[string]any{"status": models.StatusClosed, "closed_at": s.now().UTC()},
			[]*models.OrderEvent{{Kind: models.EventStatus, OK: true, Actor: actor,
				Summary: fmt.Sprintf("%s → CLOSED: %s", cur.Status, reason)}}
	})
	if err != nil {
		return nil, false, newError(KindInternal, "internal error", err)
	}
	if applied {
		s.changed(o)
	}
	return o, applied, nil
}
