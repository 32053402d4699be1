package checkout

import (
	"context"
	"errors"
	"net/http"

	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/v3"
)

// WeChatV3 is what the checkout needs of WeChat Pay API v3 beyond WeChat:
// reading a notification. The v3 adapter (wxpayv3.Adapter) has it;
// ParseNotificationV3 verifies the Wechatpay-* headers, decrypts the
// resource and, for TRANSACTION.SUCCESS, checks that appid and mchid are
// ours (an error wrapping wxpay.ErrMerchantMismatch otherwise).
type WeChatV3 interface {
	ParseNotificationV3(h http.Header, body []byte) (*wxpayv3.Notification, error)
}

// eventTransactionSuccess is the one v3 event the checkout applies.
const eventTransactionSuccess = "TRANSACTION.SUCCESS"

var errNotV3 = errors.New("a v3 notification, but the shop speaks API v2 (WXPAY_API_VERSION)")

// HandleNotificationV3 verifies and applies a v3 notification (SPEC §7).
// As HandleNotification: nil means acknowledge (a payment applied, a
// duplicate, an event the shop does not handle); a KindRefused error is a
// typed refusal that changed nothing; anything else is our own failure, so
// that WeChat resends. A replay of a notification already applied is a
// duplicate (ConfirmPayment applies a payment once); a replay older than
// the 5-minute window is refused by the verifier before anything is read.
func (s *Service) HandleNotificationV3(ctx context.Context, h http.Header, body []byte) error {
	wx, ok := s.wx.(WeChatV3)
	if !ok {
		r := refusal(models.RefusalNotEnabled, errNotV3)
		s.recordRefusal(ctx, models.EventNotifyV3, "", body, r)
		return r
	}
	n, err := wx.ParseNotificationV3(h, body)
	if err != nil {
		if errors.Is(err, wxpayv3.ErrBadKey) {
			// Our own APIv3 key or verifier is unusable: not the sender's fault.
			return newError(KindInternal, msgInternal, err)
		}
		r := refusal(refusalOfV3(err), err)
		if r.Refusal == models.RefusalDecrypt {
			s.log.Error("v3 notification signed by WeChat Pay does not decrypt: likely a wrong WXPAY_APIV3_KEY",
				"serial", clip(h.Get(wxpayv3.HeaderSerial)))
		}
		s.recordRefusal(ctx, models.EventNotifyV3, verifiedOutTradeNo(n), body, r)
		return r
	}
	if n.Refund != nil {
		return s.RefundNotified(ctx, n.Refund)
	}
	if n.EventType != eventTransactionSuccess || n.Transaction == nil {
		s.log.Info("v3 notification acknowledged, not handled", "id", clip(n.ID), "event_type", clip(n.EventType))
		return nil
	}
	t := n.Transaction
	notice := &models.OrderEvent{Kind: models.EventNotifyV3, Request: string(n.Plaintext), Actor: "wechat", OutTradeNo: t.OutTradeNo}
	return s.applyNotice(ctx, t, notice)
}

// refusalOfV3 types why a v3 notification was not accepted.
func refusalOfV3(err error) models.Refusal {
	switch {
	case errors.Is(err, wxpayv3.ErrMissingHeader), errors.Is(err, wxpayv3.ErrBadSignature):
		return models.RefusalBadSign
	case errors.Is(err, wxpayv3.ErrUnknownSerial):
		return models.RefusalUnknownSerial
	case errors.Is(err, wxpayv3.ErrStaleTimestamp):
		return models.RefusalStale
	case errors.Is(err, wxpayv3.ErrDecrypt):
		return models.RefusalDecrypt
	case errors.Is(err, wxpay.ErrMerchantMismatch):
		return models.RefusalMerchant
	case errors.Is(err, wxpay.ErrTooLarge):
		return models.RefusalTooLarge
	case errors.Is(err, wxpay.ErrInvalidParam):
		return models.RefusalInvalidFields
	}
	return models.RefusalMalformedJSON
}

// verifiedOutTradeNo is the order a refused notification is about, when
// the parser got as far as a verified, decrypted transaction (another
// merchant's, say); "" otherwise — an unverified v3 body names no order in
// the clear, and nothing from it is trusted.
func verifiedOutTradeNo(n *wxpayv3.Notification) string {
	if n == nil || n.Transaction == nil || !wxpay.ValidOutTradeNo(n.Transaction.OutTradeNo) {
		return ""
	}
	return n.Transaction.OutTradeNo
}
