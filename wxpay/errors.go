package wxpay

import (
	"errors"
	"fmt"
)

// Problems with a message itself. Errors returned by this package wrap them,
// so callers test with errors.Is.
var (
	ErrTooLarge         = errors.New("wxpay: message too large")
	ErrMalformedXML     = errors.New("wxpay: malformed XML")
	ErrSignMissing      = errors.New("wxpay: message carries no sign")
	ErrBadSign          = errors.New("wxpay: signature mismatch")
	ErrMerchantMismatch = errors.New("wxpay: appid or mch_id is not ours")
	ErrInvalidParam     = errors.New("wxpay: invalid request parameter")
)

// Error codes that callers act on.
const (
	CodeOrderPaid      = "ORDERPAID"
	CodeOrderClosed    = "ORDERCLOSED"
	CodeOrderNotExist  = "ORDERNOTEXIST"
	CodeSystemError    = "SYSTEMERROR"
	CodeInvalidRequest = "INVALID_REQUEST"
	CodeNeedRetry      = "BIZERR_NEED_RETRY"
	CodeRefundNotExist = "REFUNDNOTEXIST" // refundquery: no such refund
	CodeNotEnough      = "NOTENOUGH"      // refund: the merchant's balance is short
)

// Error is WeChat saying no: return_code=FAIL (with return_msg), or
// result_code=FAIL (with err_code and err_code_des) on a verified reply.
// The request was received and answered; its outcome is known.
type Error struct {
	Op         string // unifiedorder, orderquery, closeorder, refund, refundquery, refund-notify
	ReturnCode string
	ReturnMsg  string
	ResultCode string
	ErrCode    string
	ErrCodeDes string
	Exchange   *Exchange
}

func (e *Error) Error() string {
	if e.ReturnCode != "SUCCESS" {
		return fmt.Sprintf("wxpay %s: return_code=%s: %s", e.Op, e.ReturnCode, e.ReturnMsg)
	}
	return fmt.Sprintf("wxpay %s: %s: %s", e.Op, e.ErrCode, e.ErrCodeDes)
}

// TransportError is a call whose outcome is unknown: the network failed, the
// context ended, the HTTP status was not 2xx, or the reply could not be
// trusted (malformed, unsigned, badly signed, another merchant's). The
// request may or may not have taken effect at WeChat: query, or retry with
// identical fields.
type TransportError struct {
	Op       string
	Err      error
	Exchange *Exchange
}

func (e *TransportError) Error() string { return fmt.Sprintf("wxpay %s: %v", e.Op, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// Exchange is one call as it went over the wire, for the order's timeline.
// The API key is never part of it.
type Exchange struct {
	Op         string
	URL        string
	Request    []byte
	Response   []byte
	HTTPStatus int
}

// ExchangeOf returns the wire record carried by an error of this package.
func ExchangeOf(err error) *Exchange {
	var we *Error
	if errors.As(err, &we) {
		return we.Exchange
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Exchange
	}
	return nil
}

// ErrCode returns the err_code of a *Error, or "" for any other error.
func ErrCode(err error) string {
	var we *Error
	if errors.As(err, &we) {
		return we.ErrCode
	}
	return ""
}

// IsOrderPaid: the order was paid already; record the payment (query it).
func IsOrderPaid(err error) bool { return ErrCode(err) == CodeOrderPaid }

// IsOrderClosed: the order is closed at WeChat; a new out_trade_no is needed.
func IsOrderClosed(err error) bool { return ErrCode(err) == CodeOrderClosed }

// IsOrderNotExist: WeChat does not know the order.
func IsOrderNotExist(err error) bool { return ErrCode(err) == CodeOrderNotExist }

// IsRefundNotExist: WeChat does not know the refund.
func IsRefundNotExist(err error) bool { return ErrCode(err) == CodeRefundNotExist }

// IsReentryConflict: the out_trade_no was used with other business fields
// ("201 商户订单号重复").
func IsReentryConflict(err error) bool { return ErrCode(err) == CodeInvalidRequest }

// IsTransport reports whether the call's outcome is unknown.
func IsTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// IsRetryable reports whether the same call with the same fields may be sent
// again: an unknown outcome, or WeChat's SYSTEMERROR / BIZERR_NEED_RETRY.
func IsRetryable(err error) bool {
	if IsTransport(err) {
		return true
	}
	c := ErrCode(err)
	return c == CodeSystemError || c == CodeNeedRetry
}

// CallResult names a call's outcome for metrics: SUCCESS, WeChat's
// err_code (or FAIL for return_code=FAIL), TRANSPORT when the outcome is
// unknown, ERROR when nothing was sent.
func CallResult(err error) string {
	var we *Error
	var te *TransportError
	switch {
	case err == nil:
		return "SUCCESS"
	case errors.As(err, &we):
		if we.ReturnCode != "SUCCESS" || we.ErrCode == "" {
			return "FAIL"
		}
		return we.ErrCode
	case errors.As(err, &te):
		return "TRANSPORT"
	}
	return "ERROR"
}
