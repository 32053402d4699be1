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
// Every notification is kept in the timeline with its outcome and our reply.
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
	notice := noticeOf(body)
	notice.OutTradeNo = n.OutTradeNo
	_, _, err = s.ConfirmPayment(ctx, Payment{
		OutTradeNo: n.OutTradeNo, TransactionID: n.TransactionID, TotalFee: n.TotalFee, PaidAt: n.TimeEnd,
		OpenID: n.OpenID, BankType: n.BankType, Source: "notify", Actor: "wechat", Notice: notice,
	})
	switch {
	case err == nil, KindOf(err) == KindRefused:
		return err // recorded with the order, in the same transaction
	case KindOf(err) == KindNotFound:
		err = newError(KindRefused, "unknown out_trade_no", err)
	}
	s.recordNotify(ctx, n.OutTradeNo, body, err, "")
	return err
}

// noticeOf is a notification's timeline entry before its outcome is known.
func noticeOf(body []byte) *models.OrderEvent {
	if len(body) > maxStoredBody {
		body = body[:maxStoredBody]
	}
	return &models.OrderEvent{Kind: models.EventNotify, Request: string(body), Actor: "wechat"}
}

// noticeEvents completes a notification's entry with its outcome and our
// reply — SUCCESS with result when outcome is nil, FAIL with the reason
// otherwise — for writing with the change it caused. nil stays nil.
func (s *Service) noticeEvents(ev *models.OrderEvent, outcome error, result string) []*models.OrderEvent {
	if ev == nil {
		return nil
	}
	ev.OK, ev.Summary, ev.Response = outcome == nil, result, string(wxpay.SuccessReply)
	if outcome != nil {
		ev.Summary, ev.Response = "refused: "+outcome.Error(), string(wxpay.FailReply(PublicMessage(outcome)))
		s.log.Warn("notification refused", "out_trade_no", ev.OutTradeNo, "err", LogText(outcome))
	}
	return []*models.OrderEvent{ev}
}

// maxLogText bounds an error in a log line: refusals quote fields of the
// notification, and whoever posts to the notify URL picks those.
const maxLogText = 160

// LogText is err's text for a log line, cut to maxLogText characters.
func LogText(err error) string {
	s, n := err.Error(), 0
	for i := range s {
		if n == maxLogText {
			return s[:i] + "…(cut)"
		}
		n++
	}
	return s
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

// recordNotify keeps a notification that changed nothing in the timeline of
// the order it names. One that names no order of ours is only logged:
// kept, anyone could fill the database by posting to the notify URL.
func (s *Service) recordNotify(ctx context.Context, no string, body []byte, outcome error, result string) {
	ev := noticeOf(body)
	ev.OutTradeNo = no
	s.noticeEvents(ev, outcome, result)
	if no == "" {
		return
	}
	o, err := s.store.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return // an unknown order: logged above
	}
	if err := s.store.AddEvent(ctx, o, ev); err != nil {
		s.log.Error("record notification", "out_trade_no", no, "err", err)
	}
}
