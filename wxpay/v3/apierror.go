package wxpayv3

import (
	"errors"
	"fmt"

	"wxcheckout/wxpay"
)

// Error codes of v3 replies that callers act on (HTTP 4xx/5xx with
// {"code","message"}).
const (
	CodeParamError      = "PARAM_ERROR"     // 400: an invalid body or field
	CodeInvalidRequest  = "INVALID_REQUEST" // 400: e.g. out_trade_no reused with other fields
	CodeSignError       = "SIGN_ERROR"      // 401: the Authorization did not verify
	CodeOrderNotExist   = "ORDER_NOT_EXIST" // 404
	CodeOrderPaid       = "ORDERPAID"       // 400/403: paid already; record the payment
	CodeOrderClosed     = "ORDER_CLOSED"    // 400/403: closed; a new out_trade_no is needed
	CodeSystemError     = "SYSTEM_ERROR"    // 500: retry with the same fields
	CodeFrequencyLimit  = "FREQUENCY_LIMITED"
	CodeNoAuth          = "NO_AUTH"
	CodeMchNotExists    = "MCH_NOT_EXISTS"
	CodeAppIDMchIDMatch = "APPID_MCHID_NOT_MATCH"
)

// Error is WeChat answering a call with HTTP 4xx and a verified
// {"code","message"}: the request was received and refused; its outcome is
// known.
type Error struct {
	Op         string // native, query, close
	HTTPStatus int
	Code       string
	Message    string
	Exchange   *wxpay.Exchange
}

func (e *Error) Error() string {
	return fmt.Sprintf("wxpayv3 %s: HTTP %d %s: %s", e.Op, e.HTTPStatus, e.Code, e.Message)
}

// TransportError is a call whose outcome is unknown: the network failed, the
// context ended, WeChat answered 5xx, or the reply could not be trusted
// (unsigned, badly signed, an unknown serial, a stale timestamp, malformed,
// another merchant's). Query, or retry with identical fields. HTTPStatus
// is the reply's, if one came; Code is what a 5xx body said (unverified,
// for the log).
type TransportError struct {
	Op         string
	HTTPStatus int
	Code       string
	Err        error
	Exchange   *wxpay.Exchange
}

func (e *TransportError) Error() string { return fmt.Sprintf("wxpayv3 %s: %v", e.Op, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// ErrCode returns the code of a *Error, or "" for any other error.
func ErrCode(err error) string {
	var we *Error
	if errors.As(err, &we) {
		return we.Code
	}
	return ""
}

// IsTransport reports whether the call's outcome is unknown.
func IsTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// IsRetryable reports whether the same call with the same fields may be sent
// again: an unknown outcome (5xx SYSTEM_ERROR among them), or SYSTEM_ERROR
// however it came.
func IsRetryable(err error) bool {
	return IsTransport(err) || ErrCode(err) == CodeSystemError
}

// ExchangeOf returns the wire record carried by an error of this package.
func ExchangeOf(err error) *wxpay.Exchange {
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

// CallResult names a call's outcome for metrics: SUCCESS, WeChat's error
// code (an answered 4xx), TRANSPORT when the outcome is unknown, ERROR
// when nothing was sent.
func CallResult(err error) string {
	var we *Error
	var te *TransportError
	switch {
	case err == nil:
		return "SUCCESS"
	case errors.As(err, &we):
		return we.Code
	case errors.As(err, &te):
		return "TRANSPORT"
	}
	return "ERROR"
}
