package checkout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/v3"
)

// Refunds (SPEC §8). A refund is started in the transaction that reserves
// its amount on the order (store.CreateRefund), then sent to WeChat with
// our out_refund_no; sending it again with that number is idempotent at
// WeChat, which is how an unknown outcome is retried. WeChat's acceptance
// is not money back: the refund stays PROCESSING until a notification or
// a query reports it SUCCESS, CLOSED or ABNORMAL, applied once
// (store.EndRefund).

// Refunder is what refunds need of WeChat Pay; *wxpay.Client (v2, with the
// merchant certificate) and *wxpayv3.Adapter have it.
type Refunder interface {
	Refund(ctx context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error)
	RefundQuery(ctx context.Context, outRefundNo string) (*wxpay.RefundQueryResponse, error)
}

var (
	_ Refunder = (*wxpay.Client)(nil)
	_ Refunder = (*wxpayv3.Adapter)(nil)
)

// RefundRequest is a refund someone asks for: the admin, a merchant app.
type RefundRequest struct {
	OutTradeNo string
	Amount     models.Money
	Reason     string
	Actor      string
	// MerchantRefundNo is a merchant's own refund number: the same again is
	// the same refund (another amount is refused).
	MerchantRefundNo string
}

// maxRefundReason is WeChat's limit on refund_desc / reason, in characters.
const maxRefundReason = 80

// Refund starts a refund and sends it to WeChat. The refund comes back
// PROCESSING (or final, when WeChat says so at once); an unknown outcome
// keeps it PROCESSING, and the reconciler resends or queries it. Invalid
// requests change nothing and send nothing. A repeat of a merchant's
// refund number with the same amount returns that refund, created false;
// decided in the transaction that would create it, so concurrent repeats
// make one refund and one of them is told created.
func (s *Service) Refund(ctx context.Context, r RefundRequest) (ref *models.Refund, created bool, err error) {
	if utf8.RuneCountInString(r.Reason) > maxRefundReason || strings.ContainsFunc(r.Reason, unicode.IsControl) {
		return nil, false, newError(KindInvalid, msgRefundReason, nil, maxRefundReason)
	}
	wx, ok := s.wx.(Refunder)
	if !ok {
		return nil, false, newError(KindConflict, msgRefundUnavailable, nil)
	}
	no, err := wxpay.NewOutTradeNo(s.now(), s.rand)
	if err != nil {
		return nil, false, newError(KindInternal, msgInternal, err)
	}
	now := s.now().UTC()
	ref = &models.Refund{OutRefundNo: "R" + no, Amount: r.Amount, Reason: r.Reason, Actor: r.Actor,
		Status: models.RefundProcessing, NextQueryAt: now.Add(refundQueryGap(0)), CreatedAt: now}
	if r.MerchantRefundNo != "" {
		mno := r.MerchantRefundNo
		ref.MerchantRefundNo = &mno
	}
	o, existing, err := s.store.CreateRefund(ctx, r.OutTradeNo, ref)
	switch {
	case err != nil:
		return nil, false, refundRefusal(err)
	case existing != nil && existing.Amount != r.Amount:
		return existing, false, newError(KindConflict, msgRefundDuplicate, nil)
	case existing != nil:
		return existing, false, nil
	}
	s.changed(o)
	ref, err = s.sendRefund(ctx, wx, o, ref, r.Actor)
	return ref, true, err
}

// refundRefusal says why a refund was not started.
func refundRefusal(err error) error {
	switch {
	case isNotFound(err):
		return newError(KindNotFound, msgOrderNotFound, err)
	case errors.Is(err, models.ErrNotRefundable):
		return newError(KindConflict, msgRefundNotPaid, err)
	case errors.Is(err, models.ErrTooManyRefunds):
		return newError(KindConflict, msgRefundTooMany, err, models.MaxRefunds)
	case errors.Is(err, models.ErrRefundAmount), errors.Is(err, models.ErrOverRefundable):
		return newError(KindInvalid, msgRefundAmount, err)
	}
	return newError(KindInternal, msgInternal, err)
}

// sendRefund sends a started refund to WeChat and applies the answer: a
// refusal closes it (its amount is free again), an acceptance leaves it
// PROCESSING with WeChat's refund_id, an unknown outcome leaves it for the
// reconciler.
func (s *Service) sendRefund(ctx context.Context, wx Refunder, o *models.Order, ref *models.Refund, actor string) (*models.Refund, error) {
	resp, err := wx.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: o.WeChatTradeNo(), OutRefundNo: ref.OutRefundNo,
		TotalFee: int64(o.TotalFee), RefundFee: int64(ref.Amount), Reason: ref.Reason, NotifyURL: s.set.RefundNotifyURL})
	s.recordCall(ctx, o, models.EventRefund, err, refundExchange(resp, err), actor, 1)
	switch {
	case err == nil && models.RefundStatus(resp.Status).Final():
		return s.endRefund(ctx, ref.OutRefundNo, models.RefundStatus(resp.Status), resp.RefundID, s.now(), "wechat")
	case err == nil:
		ref.RefundID = resp.RefundID
		if serr := s.store.ScheduleRefund(ctx, ref.ID, s.now().Add(refundQueryGap(0)), resp.RefundID); serr != nil {
			s.log.Error("schedule refund query", "out_refund_no", ref.OutRefundNo, "err", serr)
		}
		return ref, nil
	case wxpay.IsTransport(err) || wxpay.IsRetryable(err):
		s.log.Warn("refund outcome unknown; the reconciler resends it with the same out_refund_no",
			"out_refund_no", ref.OutRefundNo, "err", clip(err.Error()))
		return ref, nil
	}
	closed, cerr := s.endRefund(ctx, ref.OutRefundNo, models.RefundClosed, "", s.now(), actor)
	if cerr != nil {
		return nil, cerr
	}
	return closed, newError(KindUpstream, msgRefundRefused, err, wxErrorText(err))
}

func refundExchange(resp *wxpay.RefundResponse, err error) *wxpay.Exchange {
	if err != nil {
		return wxpay.ExchangeOf(err)
	}
	return resp.Exchange
}

// endRefund applies a refund's final state once, with the merchant's
// refund.succeeded webhook when it is a gateway order's success.
func (s *Service) endRefund(ctx context.Context, outRefundNo string, status models.RefundStatus, refundID string,
	at time.Time, actor string) (*models.Refund, error) {
	o, r, applied, err := s.store.EndRefund(ctx, outRefundNo, status, refundID, at,
		func(cur models.Order, r models.Refund, status models.RefundStatus) models.Change {
			ch := cur.EndRefund(r, status, actor)
			if status != models.RefundSuccess || !ch.Changed() {
				return ch
			}
			return ch.Notify(s.refundNotices(ch.After, r)...)
		})
	if err != nil {
		return nil, lookupError(err, msgRefundNotFound)
	}
	if applied && o != nil {
		s.changed(o)
		if o.NotifyURL != "" && status == models.RefundSuccess && s.set.Delivered != nil {
			s.set.Delivered()
		}
		s.log.Info("refund ended", "out_trade_no", o.OutTradeNo, "out_refund_no", outRefundNo, "status", status, "amount", r.Amount)
	}
	return r, nil
}

// refundNotices is the refund.succeeded webhook a gateway API order owes.
func (s *Service) refundNotices(o models.Order, r models.Refund) []*models.Delivery {
	no := r.OutRefundNo
	if r.MerchantRefundNo != nil {
		no = *r.MerchantRefundNo
	}
	return s.notices(o, models.TypeRefundSucceeded, gateway.RefundObject{OutRefundNo: no, Amount: int64(r.Amount),
		Status: string(models.RefundSuccess)})
}

// refundQueryGap is how long after its n-th look a PROCESSING refund is
// looked at again: 10 s, 30 s, 1 m, 2 m, 5 m, then every 15 minutes.
func refundQueryGap(n int) time.Duration {
	gaps := []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
	if n < len(gaps) {
		return gaps[n]
	}
	return 15 * time.Minute
}

// reconcileRefunds looks at every PROCESSING refund that is due: a query
// says where it stands; a refund WeChat does not know (the first send's
// outcome was lost) is sent again with the same out_refund_no.
func (s *Service) reconcileRefunds(ctx context.Context, batch int) {
	wx, ok := s.wx.(Refunder)
	if !ok {
		return
	}
	due, err := s.store.DueRefunds(ctx, s.now(), batch)
	if err != nil {
		s.log.Error("reconcile: due refunds", "err", err)
		return
	}
	for i := range due {
		if ctx.Err() != nil {
			return
		}
		s.reconcileRefund(ctx, wx, &due[i])
	}
}

func (s *Service) reconcileRefund(ctx context.Context, wx Refunder, ref *models.Refund) {
	o, err := s.store.OrderByOutTradeNo(ctx, ref.OutTradeNo)
	if err != nil {
		s.log.Error("reconcile refund: order", "out_refund_no", ref.OutRefundNo, "err", err)
		return
	}
	next := s.now().Add(refundQueryGap(ref.Queries + 1))
	q, err := wx.RefundQuery(ctx, ref.OutRefundNo)
	s.recordCall(ctx, o, models.EventRefund, err, refundQueryExchange(q, err), "reconciler", 1)
	switch {
	case err == nil && models.RefundStatus(q.Status).Final():
		if _, err := s.endRefund(ctx, ref.OutRefundNo, models.RefundStatus(q.Status), q.RefundID, refundTime(q.SuccessTime, s.now()), "reconciler"); err != nil {
			s.log.Error("reconcile refund: end", "out_refund_no", ref.OutRefundNo, "err", err)
		}
		return
	case err == nil:
		if serr := s.store.ScheduleRefund(ctx, ref.ID, next, q.RefundID); serr != nil {
			s.log.Error("reconcile refund: schedule", "out_refund_no", ref.OutRefundNo, "err", serr)
		}
		return
	case wxpay.IsRefundNotExist(err):
		if _, serr := s.sendRefund(ctx, wx, o, ref, "reconciler"); serr != nil {
			s.log.Warn("reconcile refund: resend", "out_refund_no", ref.OutRefundNo, "err", serr)
		}
	}
	if serr := s.store.ScheduleRefund(ctx, ref.ID, next, ""); serr != nil {
		s.log.Error("reconcile refund: schedule", "out_refund_no", ref.OutRefundNo, "err", serr)
	}
}

func refundQueryExchange(q *wxpay.RefundQueryResponse, err error) *wxpay.Exchange {
	if err != nil {
		return wxpay.ExchangeOf(err)
	}
	return q.Exchange
}

func refundTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

// RefundNotified applies a verified refund notification (v2's decrypted
// req_info, v3's REFUND.* resource): the refund must be ours and match
// the order and amount; its final state is applied once.
func (s *Service) RefundNotified(ctx context.Context, n *wxpay.RefundNotification) error {
	ref, err := s.store.RefundByOutRefundNo(ctx, n.OutRefundNo)
	switch {
	case err != nil && errors.Is(err, store.ErrNotFound):
		return refusal(models.RefusalUnknownOrder, fmt.Errorf("refund %s is not ours", clip(n.OutRefundNo)))
	case err != nil:
		return newError(KindInternal, msgInternal, err)
	case (ref.OutTradeNo != n.OutTradeNo && !s.paidWith(ctx, ref.OutTradeNo, n.OutTradeNo)) || int64(ref.Amount) != n.RefundFee:
		return refusal(models.RefusalAmountMismatch, fmt.Errorf("refund %s: order %s ¥%s reported, ours is order %s ¥%s",
			ref.OutRefundNo, clip(n.OutTradeNo), models.Money(n.RefundFee).Yuan(), ref.OutTradeNo, ref.Amount.Yuan()))
	}
	status := models.RefundStatus(n.Status)
	if !status.Final() {
		return nil
	}
	_, err = s.endRefund(ctx, ref.OutRefundNo, status, n.RefundID, refundTime(n.SuccessTime, s.now()), "wechat")
	return err
}

// Refunds lists an order's refunds, oldest first.
func (s *Service) Refunds(ctx context.Context, o *models.Order) ([]models.Refund, error) {
	rs, err := s.store.Refunds(ctx, o.ID)
	return rs, lookupError(err, msgOrderNotFound)
}

// refundNotifications is a WeChat that reads v2 refund notifications:
// *wxpay.Client.
type refundNotifications interface {
	ParseRefundNotification(body []byte) (*wxpay.RefundNotification, error)
}

// HandleRefundNotification decrypts and applies a v2 refund notification
// (POST /wxpay/refund-notify). nil means acknowledge (applied, a
// duplicate, or a state that is not final); a KindRefused error changed
// nothing (a req_info that does not decrypt, another merchant's, a refund
// that is not ours or not its amount); anything else is our own failure.
func (s *Service) HandleRefundNotification(ctx context.Context, body []byte) error {
	wx, ok := s.wx.(refundNotifications)
	if !ok {
		return refusal(models.RefusalNotEnabled, errors.New("refund notifications of API v2, but the shop speaks v3"))
	}
	n, err := wx.ParseRefundNotification(body)
	if err != nil {
		code := refusalOf(err)
		if errors.Is(err, wxpay.ErrDecrypt) {
			code = models.RefusalDecrypt
			s.log.Error("refund notification does not decrypt: forged, or WXPAY_API_KEY is not the merchant's")
		}
		r := refusal(code, err)
		s.log.Warn("refund notification refused", "refusal", code, "err", LogText(err))
		return r
	}
	if err := s.RefundNotified(ctx, n); err != nil {
		if KindOf(err) == KindRefused {
			s.log.Warn("refund notification refused", "refusal", RefusalOf(err), "out_refund_no", clip(n.OutRefundNo), "err", LogText(err))
		}
		return err
	}
	return nil
}

// paidWith reports whether the order numbered no was paid through the
// WeChat order tradeNo (one of its further WeChat orders, SPEC §9).
func (s *Service) paidWith(ctx context.Context, no, tradeNo string) bool {
	o, err := s.store.OrderByOutTradeNo(ctx, no)
	return err == nil && o.PaidTradeNo == tradeNo
}
