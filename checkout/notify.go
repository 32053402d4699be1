package checkout

import (
	"context"
	"errors"
	"fmt"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// maxStoredBody keeps a hostile notification from bloating the timeline.
const maxStoredBody = 16 << 10

// HandleNotification verifies and applies a payment notification. A nil
// error means acknowledge with SUCCESS (a payment applied, a duplicate, or a
// verified result_code=FAIL). Otherwise the error's kind says whether it is
// a refusal (FAIL, nothing changed) or our own failure (FAIL, retry later).
// Every notification is kept in the timeline with its outcome.
func (s *Service) HandleNotification(ctx context.Context, body []byte) error {
	n, err := s.wx.ParseNotification(body)
	if err != nil {
		refusal := newError(KindRefused, notifyRefusal(err), err)
		s.recordNotify(ctx, outTradeNoOf(body), body, refusal, "")
		return refusal
	}
	if !n.Paid() {
		s.recordNotify(ctx, n.OutTradeNo, body, nil, fmt.Sprintf("verified; result_code=%s %s %s: not paid, order unchanged", n.ResultCode, n.ErrCode, n.ErrCodeDes))
		return nil
	}
	_, applied, err := s.ConfirmPayment(ctx, Payment{
		OutTradeNo: n.OutTradeNo, TransactionID: n.TransactionID, TotalFee: n.TotalFee, PaidAt: n.TimeEnd,
		OpenID: n.OpenID, BankType: n.BankType, Source: "notify", Actor: "wechat",
	})
	switch {
	case err != nil && KindOf(err) == KindNotFound:
		err = newError(KindRefused, "unknown out_trade_no", err)
	case err != nil && KindOf(err) == KindRefused:
		err = newError(KindRefused, "amount mismatch", err)
	}
	result := "verified; payment applied"
	if err == nil && !applied {
		result = "verified; duplicate of a recorded payment"
	}
	s.recordNotify(ctx, n.OutTradeNo, body, err, result)
	return err
}

func notifyRefusal(err error) string {
	switch {
	case errors.Is(err, wxpay.ErrTooLarge):
		return "body too large"
	case errors.Is(err, wxpay.ErrMalformedXML):
		return "malformed XML"
	case errors.Is(err, wxpay.ErrSignMissing), errors.Is(err, wxpay.ErrBadSign):
		return "invalid sign"
	case errors.Is(err, wxpay.ErrMerchantMismatch):
		return "appid or mch_id mismatch"
	case errors.Is(err, wxpay.ErrInvalidParam):
		return "invalid fields"
	}
	var we *wxpay.Error
	if errors.As(err, &we) {
		return "return_code is not SUCCESS"
	}
	return "refused"
}

// outTradeNoOf reads out_trade_no from an unverified body, only to attach a
// refused notification to the order it claims to be about.
func outTradeNoOf(body []byte) string {
	p, err := wxpay.Decode(body)
	if err != nil || !wxpay.ValidOutTradeNo(p["out_trade_no"]) {
		return ""
	}
	return p["out_trade_no"]
}

// recordNotify keeps a notification in the timeline with its result and our
// reply: SUCCESS with result when outcome is nil, FAIL with the reason otherwise.
func (s *Service) recordNotify(ctx context.Context, no string, body []byte, outcome error, result string) {
	reply, summary := string(wxpay.SuccessReply), result
	if outcome != nil {
		reply = string(wxpay.FailReply(PublicMessage(outcome)))
		summary = "refused: " + outcome.Error()
		s.log.Warn("notification refused", "out_trade_no", no, "err", outcome)
	}
	if len(body) > maxStoredBody {
		body = body[:maxStoredBody]
	}
	ev := &models.OrderEvent{Kind: models.EventNotify, OK: outcome == nil, Summary: summary,
		Request: string(body), Response: reply, Actor: "wechat", OutTradeNo: no}
	var o *models.Order
	if no != "" {
		o, _ = s.store.OrderByOutTradeNo(ctx, no) // nil for an unknown order: kept unattached
	}
	if err := s.store.AddEvent(ctx, o, ev); err != nil {
		s.log.Error("record notification", "out_trade_no", no, "err", err)
	}
}
