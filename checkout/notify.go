package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/v3"
)

// maxRefusalSamples is how many refused notifications an order's timeline
// keeps; beyond it only the order's count grows. Anyone can post to the
// notify URL naming an order (its number is on the payment page), so what a
// refusal may write is small and bounded, and never the sender's text.
const maxRefusalSamples = 5

// HandleNotification verifies and applies a payment notification. A nil
// error means acknowledge with SUCCESS (a payment applied, a duplicate, or a
// verified result_code=FAIL). Otherwise the error's kind says whether it is
// a refusal (FAIL, nothing changed; RefusalOf types it) or our own failure
// (FAIL, retry later). A verified notification is kept in the order's
// timeline with its outcome and our reply; a refused one only as a count
// and a small typed sample.
func (s *Service) HandleNotification(ctx context.Context, body []byte) error {
	n, err := s.wx.ParseNotification(body)
	if err != nil {
		r := refusal(refusalOf(err), err)
		s.recordRefusal(ctx, models.EventNotify, outTradeNoOf(body), body, r)
		return r
	}
	notice := &models.OrderEvent{Kind: models.EventNotify, Request: string(body), Actor: "wechat", OutTradeNo: n.OutTradeNo}
	return s.applyNotice(ctx, n, notice)
}

// applyNotice applies a verified notification, v2 or v3: a payment goes
// through ConfirmPayment, the one path to PAID; notice is its timeline
// entry.
func (s *Service) applyNotice(ctx context.Context, n *wxpay.Notification, notice *models.OrderEvent) error {
	if !n.Paid() {
		s.noticeEvents(notice, nil, fmt.Sprintf("verified; result_code=%s %s %s: not paid, order unchanged",
			n.ResultCode, n.ErrCode, clip(n.ErrCodeDes)))
		if o, err := s.store.OrderByTradeNo(ctx, n.OutTradeNo); err == nil {
			if err := s.store.AddEvent(ctx, o, notice); err != nil {
				return newError(KindInternal, msgInternal, err)
			}
		}
		return nil
	}
	_, _, err := s.ConfirmPayment(ctx, Payment{OutTradeNo: n.OutTradeNo, Notice: notice, Payment: models.Payment{
		TransactionID: n.TransactionID, TotalFee: models.Money(n.TotalFee), PaidAt: n.TimeEnd,
		OpenID: n.OpenID, BankType: n.BankType, Source: "notify", Actor: "wechat"}})
	if KindOf(err) == KindNotFound {
		// Signed by WeChat, yet for no order of ours: logged, not stored.
		r := refusal(models.RefusalUnknownOrder, err)
		s.log.Warn("notification refused", "refusal", r.Refusal, "out_trade_no", clip(n.OutTradeNo))
		return r
	}
	return err // a payment, a duplicate or a refusal: recorded with the order in one transaction
}

// noticeEvents completes a verified notification's entry with its outcome
// and our reply — SUCCESS with result when outcome is nil, FAIL with the
// reason otherwise — for writing with the change it caused. nil stays nil.
func (s *Service) noticeEvents(ev *models.OrderEvent, outcome error, result string) []*models.OrderEvent {
	if ev == nil {
		return nil
	}
	ev.OK, ev.Summary, ev.Response = outcome == nil, result, string(successReply(ev.Kind))
	if outcome != nil {
		code := RefusalOf(outcome)
		ev.Code, ev.Summary, ev.Response = string(code), "refused: "+outcome.Error(), string(failReply(ev.Kind, code.Reason()))
		s.log.Warn("notification refused", "out_trade_no", ev.OutTradeNo, "refusal", code, "err", LogText(outcome))
	}
	return []*models.OrderEvent{ev}
}

// refusalOf types why a notification did not verify.
func refusalOf(err error) models.Refusal {
	switch {
	case errors.Is(err, wxpay.ErrTooLarge):
		return models.RefusalTooLarge
	case errors.Is(err, wxpay.ErrMalformedXML):
		return models.RefusalMalformed
	case errors.Is(err, wxpay.ErrSignMissing), errors.Is(err, wxpay.ErrBadSign):
		return models.RefusalBadSign
	case errors.Is(err, wxpay.ErrMerchantMismatch):
		return models.RefusalMerchant
	case errors.Is(err, wxpay.ErrInvalidParam):
		return models.RefusalInvalidFields
	}
	var we *wxpay.Error
	if errors.As(err, &we) {
		return models.RefusalNotSuccess
	}
	return models.RefusalMalformed
}

// outTradeNoOf reads out_trade_no from an unverified body, only to count a
// refused notification against the order it claims to be about.
func outTradeNoOf(body []byte) string {
	p, err := wxpay.Decode(body)
	if err != nil || !wxpay.ValidOutTradeNo(p["out_trade_no"]) {
		return ""
	}
	return p["out_trade_no"]
}

// recordRefusal counts a refused notification against the order it names
// and keeps the first few as typed timeline entries: the refusal code, the
// body's size and digest — never the body or any text from it. One that
// names no order of ours is only logged.
func (s *Service) recordRefusal(ctx context.Context, kind, no string, body []byte, r *Error) {
	sum := sha256.Sum256(body)
	s.log.Warn("notification refused", "refusal", r.Refusal, "out_trade_no", no, "bytes", len(body),
		"err", LogText(r.Err))
	if no == "" {
		return
	}
	ev := &models.OrderEvent{Kind: kind, Code: string(r.Refusal), Actor: "unverified",
		Summary:  fmt.Sprintf("refused: %s; %d bytes, sha256 %s", r.Refusal.Reason(), len(body), hex.EncodeToString(sum[:8])),
		Response: string(failReply(kind, r.Refusal.Reason()))}
	if err := s.store.RecordRefusal(ctx, no, ev, maxRefusalSamples); err != nil && !isNotFound(err) {
		s.log.Error("record refused notification", "out_trade_no", no, "err", err)
	}
}

// successReply and failReply are our replies to a notification of the
// event's kind, as its timeline keeps them: v2's XML, or v3's empty 204
// and {"code":"FAIL"} JSON.
func successReply(kind string) []byte {
	if kind == models.EventNotifyV3 {
		return nil
	}
	return wxpay.SuccessReply
}

func failReply(kind, reason string) []byte {
	if kind == models.EventNotifyV3 {
		return wxpayv3.NotifyFailReply(reason)
	}
	return wxpay.FailReply(reason)
}
