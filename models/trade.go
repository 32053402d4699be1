package models

// TradeState is an order's state at WeChat Pay as a query reports it; API
// v2 and v3 use the same names.
type TradeState string

const (
	TradeSuccess    TradeState = "SUCCESS"
	TradeRefund     TradeState = "REFUND" // paid, then (partly) refunded
	TradeNotPay     TradeState = "NOTPAY"
	TradeClosed     TradeState = "CLOSED"
	TradeRevoked    TradeState = "REVOKED"
	TradeUserPaying TradeState = "USERPAYING"
	TradePayError   TradeState = "PAYERROR" // an attempt failed; the order can still be paid
)

// Paid reports whether WeChat holds the shopper's money for the order.
func (t TradeState) Paid() bool { return t == TradeSuccess || t == TradeRefund }

// Closed reports whether the order can no longer be paid at WeChat.
func (t TradeState) Closed() bool { return t == TradeClosed || t == TradeRevoked }

// Open reports whether the order may still be paid: neither paid nor
// closed. A state WeChat adds later counts as open, so that the order is
// queried again rather than forgotten.
func (t TradeState) Open() bool { return !t.Paid() && !t.Closed() }

// Refusal types why a notification was refused. Admin alerts and counts
// read it; an unverified notification's own text is never kept.
type Refusal string

const (
	RefusalTooLarge       Refusal = "too_large"
	RefusalMalformed      Refusal = "malformed"         // not a flat <xml> of text fields
	RefusalBadSign        Refusal = "bad_sign"          // missing or wrong sign: likely forged
	RefusalMerchant       Refusal = "merchant_mismatch" // another merchant's appid or mch_id
	RefusalInvalidFields  Refusal = "invalid_fields"
	RefusalNotSuccess     Refusal = "not_success" // return_code is not SUCCESS
	RefusalUnknownOrder   Refusal = "unknown_order"
	RefusalAmountMismatch Refusal = "amount_mismatch" // signed, but not the order's amount

	// API v3 (SPEC §7).
	RefusalUnknownSerial Refusal = "unknown_serial"  // Wechatpay-Serial names no key we know
	RefusalStale         Refusal = "stale_timestamp" // outside the 5-minute window: a replay or a clock off
	RefusalDecrypt       Refusal = "decrypt"         // signed, but the resource does not decrypt
	RefusalMalformedJSON Refusal = "malformed_json"
	RefusalNotEnabled    Refusal = "not_enabled" // a v3 notification to a shop that speaks v2
)

// Alarming reports whether an admin must look: a forgery or a payment of
// the wrong amount.
//
// An unknown serial or an undecryptable resource from WeChat means the
// shop's v3 keys are out of date or wrong: an admin must act.
func (r Refusal) Alarming() bool {
	switch r {
	case RefusalBadSign, RefusalAmountMismatch, RefusalUnknownSerial, RefusalDecrypt:
		return true
	}
	return false
}

// Reason is the refusal in WeChat's reply (return_msg), in plain words.
func (r Refusal) Reason() string {
	switch r {
	case RefusalTooLarge:
		return "body too large"
	case RefusalMalformed:
		return "malformed XML"
	case RefusalBadSign:
		return "invalid sign"
	case RefusalMerchant:
		return "appid or mch_id mismatch"
	case RefusalInvalidFields:
		return "invalid fields"
	case RefusalNotSuccess:
		return "return_code is not SUCCESS"
	case RefusalUnknownOrder:
		return "unknown out_trade_no"
	case RefusalAmountMismatch:
		return "amount mismatch"
	case RefusalUnknownSerial:
		return "unknown Wechatpay-Serial"
	case RefusalStale:
		return "timestamp outside the allowed window"
	case RefusalDecrypt:
		return "resource does not decrypt"
	case RefusalMalformedJSON:
		return "malformed JSON"
	case RefusalNotEnabled:
		return "API v3 is not enabled"
	}
	return "refused"
}
