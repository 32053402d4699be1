package wxpayv3

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"wxcheckout/wxpay"
)

// Event types of notifications.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
)

// ResourceTypeEncrypted is the one resource_type of notifications.
const ResourceTypeEncrypted = "encrypt-resource"

// Notification is a verified, decrypted v3 notification. Transaction is
// set for TRANSACTION.SUCCESS only, shaped as a v2 notification so the
// checkout applies both alike; Refund is set for REFUND.SUCCESS,
// REFUND.ABNORMAL and REFUND.CLOSED only, shaped as v2's decrypted
// req_info. Other events come with their decrypted Plaintext for the
// caller to acknowledge and log.
type Notification struct {
	ID           string
	EventType    string
	CreateTime   time.Time
	Summary      string
	OriginalType string
	Transaction  *wxpay.Notification
	Refund       *wxpay.RefundNotification
	Plaintext    []byte
}

type envelopeJSON struct {
	ID           string    `json:"id"`
	CreateTime   string    `json:"create_time"`
	EventType    string    `json:"event_type"`
	ResourceType string    `json:"resource_type"`
	Summary      string    `json:"summary"`
	Resource     *Resource `json:"resource"`
}

// ParseNotification checks a notification as SPEC §7 says: the body is at
// most MaxBodySize; its Wechatpay-* headers name a known serial, a
// timestamp within Window and a signature that verifies; the envelope is
// one strict JSON object with an encrypt-resource; the resource decrypts
// with the APIv3 key (else ErrDecrypt: tampered, or a wrong key); and a
// TRANSACTION.SUCCESS is for our appid and mchid, a REFUND.* for our mchid
// (else wxpay.ErrMerchantMismatch). Amount, that a refund is ours, and
// once-only are the caller's checks.
func (c *Client) ParseNotification(h http.Header, body []byte) (*Notification, error) {
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("%w: notification over %d bytes", wxpay.ErrTooLarge, MaxBodySize)
	}
	if err := c.cfg.Verifier.Verify(h, body, c.cfg.Now()); err != nil {
		return nil, err
	}
	return c.parseVerified(body)
}

// parseVerified reads a notification whose signature verified.
func (c *Client) parseVerified(body []byte) (*Notification, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	pt, err := Decrypt(c.cfg.APIv3Key, *env.Resource)
	if err != nil {
		return nil, err
	}
	n := &Notification{ID: env.ID, EventType: env.EventType, Summary: env.Summary,
		OriginalType: env.Resource.OriginalType, Plaintext: pt}
	n.CreateTime, _ = time.Parse(TimeLayout, env.CreateTime) // checked by decodeEnvelope
	n.CreateTime = n.CreateTime.In(wxpay.Beijing())
	if refundEvents[n.EventType] != "" {
		if n.Refund, err = c.parseRefundResource(n.EventType, pt); err != nil {
			return nil, err
		}
		return n, nil
	}
	if n.EventType != EventTransactionSuccess {
		return n, nil
	}
	t, err := DecodeTransaction(pt)
	if err != nil {
		return nil, err
	}
	if !c.ownAppID(t.AppID) || t.MchID != c.cfg.MchID {
		return nil, fmt.Errorf("%w: appid=%q mchid=%q", wxpay.ErrMerchantMismatch, clip(t.AppID), clip(t.MchID))
	}
	n.Transaction = asV2(t)
	return n, nil
}

func decodeEnvelope(body []byte) (*envelopeJSON, error) {
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	var env envelopeJSON
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: notification: %v", ErrMalformed, err)
	}
	r := env.Resource
	switch {
	case env.ID == "" || env.EventType == "":
		return nil, fmt.Errorf("%w: notification without id or event_type", ErrMalformed)
	case env.ResourceType != ResourceTypeEncrypted:
		return nil, fmt.Errorf("%w: resource_type %q", ErrMalformed, clip(env.ResourceType))
	case r == nil || r.Algorithm == "" || r.Ciphertext == "" || r.Nonce == "":
		return nil, fmt.Errorf("%w: notification without a complete resource", ErrMalformed)
	}
	if _, err := time.Parse(TimeLayout, env.CreateTime); err != nil {
		return nil, fmt.Errorf("%w: create_time %q", ErrMalformed, clip(env.CreateTime))
	}
	return &env, nil
}

// asV2 shapes a transaction as a v2 notification: ResultCode SUCCESS only
// when trade_state is SUCCESS (otherwise FAIL with the state as ErrCode, a
// verified message that pays nothing).
func asV2(t *Transaction) *wxpay.Notification {
	n := &wxpay.Notification{
		AppID: t.AppID, MchID: t.MchID, ResultCode: "SUCCESS", OpenID: t.OpenID, TradeType: t.TradeType,
		BankType: t.BankType, TotalFee: t.Total, CashFee: t.PayerTotal, FeeType: t.Currency,
		TransactionID: t.TransactionID, OutTradeNo: t.OutTradeNo, Attach: t.Attach, TimeEnd: t.SuccessTime,
		Fields: t.Fields,
	}
	if t.TradeState != TradeSuccess {
		n.ResultCode, n.ErrCode, n.ErrCodeDes = "FAIL", t.TradeState, t.TradeStateDesc
	}
	return n
}

// FailReply is the body of a refused notification (sent with a 4xx, or a
// 5xx when the failure is ours so that WeChat resends).
func FailReply(message string) []byte {
	b, _ := encodeJSON(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{"FAIL", message})
	return b
}
