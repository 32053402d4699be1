package checkout

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"wxcheckout/models"
)

// Kind classifies an error for the outside; handlers map kinds to HTTP
// statuses in one table.
type Kind int

const (
	KindInternal     Kind = iota // our fault: the database, a bug
	KindInvalid                  // the input is wrong
	KindNotFound                 // no such product or order
	KindConflict                 // not possible in the order's current state
	KindUpstream                 // WeChat Pay said no or could not be reached
	KindRefused                  // a notification or message we will not accept
	KindLimited                  // the client is over a limit; nothing was created
	KindUnauthorized             // a merchant's credentials or signature are wrong
)

// Message keys of the errors this package returns. The handlers translate
// them (handlers/i18n.go); the checkout builds no user-facing text itself.
const (
	msgInternal       = "msg_internal"
	msgOrderNotFound  = "err_order_not_found"
	msgNoProduct      = "err_no_product"
	msgQuantity       = "err_quantity"           // arg: the most items in one order
	msgOpenOrders     = "err_open_orders"        // too many unpaid orders
	msgStillPayable   = "err_still_payable"      // renew of an order that can be paid
	msgWeChatDown     = "err_wechat_down"        // WeChat could not be reached
	msgWeChatRefused  = "err_wechat_refused"     // arg: WeChat's code and text
	msgQueryFailed    = "err_query_failed"       // arg: WeChat's code and text
	msgCloseFailed    = "err_close_failed"       // arg: WeChat's code and text
	msgNotClosable    = "err_not_closable"       // arg: the status
	msgCloseTooSoon   = "err_close_too_soon"     // arg: seconds to go
	msgUnknownAction  = "err_unknown_action"     // an admin action that does not exist
	msgPaidNotQueried = "err_paid_not_confirmed" // closeorder says paid, orderquery does not
	msgAppNotFound    = "err_app_not_found"
	msgAppName        = "err_app_name"    // arg: the longest name allowed
	msgBadAppKey      = "err_bad_app_key" // GATEWAY_PID or GATEWAY_KEY malformed

	// The gateway's refusals of a merchant's request (SPEC §6).
	msgGwMissing      = "err_gw_missing"       // arg: the field
	msgGwPid          = "err_gw_pid"           // unknown or malformed pid
	msgGwDisabled     = "err_gw_disabled"      // the app is disabled
	msgGwSign         = "err_gw_sign"          // bad or missing sign
	msgGwKey          = "err_gw_key"           // wrong key (api.php, Basic auth)
	msgGwMoney        = "err_gw_money"         // money or amount
	msgGwOutTradeNo   = "err_gw_out_trade_no"  // arg: the longest
	msgGwName         = "err_gw_name"          // arg: the longest
	msgGwParam        = "err_gw_param"         // arg: the longest
	msgGwNotifyURL    = "err_gw_notify_url"    // arg: why
	msgGwReturnURL    = "err_gw_return_url"    // arg: why
	msgGwDuplicate    = "err_gw_duplicate"     // the same out_trade_no with another amount
	msgGwExpire       = "err_gw_expire"        // args: the shortest and longest, in seconds
	msgGwNotRenewable = "err_gw_not_renewable" // renew of a gateway order
	msgGwNotFound     = "err_gw_order_missing" // no such order of this app
	msgGwFailed       = "err_gw_failed"        // arg: why WeChat refused the order
	msgDeliveryNotFnd = "err_delivery_not_found"

	// Refunds (SPEC §8).
	msgRefundReason      = "err_refund_reason"      // arg: the longest, in characters
	msgRefundUnavailable = "err_refund_unavailable" // no refund client (v2 without a merchant certificate)
	msgRefundDuplicate   = "err_refund_duplicate"   // the merchant's refund number again, another amount
	msgRefundNotPaid     = "err_refund_not_paid"
	msgRefundTooMany     = "err_refund_too_many" // arg: the most
	msgRefundAmount      = "err_refund_amount"   // more than zero, at most what remains
	msgRefundRefused     = "err_refund_refused"  // arg: WeChat's code and text
	msgRefundNotFound    = "err_refund_not_found"

	// Devices (SPEC §9).
	msgInvalidCode    = "err_invalid_code"    // an OAuth or mini-program code WeChat does not take
	msgMissingOpenID  = "err_missing_openid"  // a JSAPI order without the payer's openid
	msgTradeType      = "err_trade_type"      // not a trade type this call takes
	msgWayOff         = "err_way_off"         // arg: the trade type; not configured here
	msgTooManyWays    = "err_too_many_ways"   // arg: the most WeChat orders one order may have
	msgOrderExpiring  = "err_order_expiring"  // under a minute left: WeChat would refuse time_expire
	msgOAuthState     = "err_oauth_state"     // a state this browser was not given for this order
	msgNotPayableHere = "err_not_payable_now" // the order is not open: paid, closed, failed or expired
)

// maxForeign is how much text from outside a log line or an error keeps.
const maxForeign = 160

// Error keeps the message safe to show apart from the internal cause, which
// goes only to the log. Key and Args are translated by the caller.
type Error struct {
	Kind Kind
	Key  string
	Args []any
	// Refusal types a refused notification; empty otherwise.
	Refusal models.Refusal
	Err     error // the cause, for the log
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Key, e.Err)
	}
	return e.Key
}

func (e *Error) Unwrap() error { return e.Err }

func newError(k Kind, key string, cause error, args ...any) *Error {
	return &Error{Kind: k, Key: key, Args: args, Err: cause}
}

func refusal(code models.Refusal, cause error) *Error {
	return &Error{Kind: KindRefused, Key: "refusal_" + string(code), Refusal: code, Err: cause}
}

// KindOf returns the kind of err; errors not from this package are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// MessageOf is the message key of err, with its arguments, for the caller
// to translate; an error from elsewhere is an internal error.
func MessageOf(err error) (key string, args []any) {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Key, e.Args
	}
	return msgInternal, nil
}

// RefusalOf is the refusal code of a refused notification, or "".
func RefusalOf(err error) models.Refusal {
	var e *Error
	if errors.As(err, &e) {
		return e.Refusal
	}
	return ""
}

// LogText is err's text for a log line, cut: errors about refused input
// quote what the sender chose.
func LogText(err error) string { return clip(err.Error()) }

// clip cuts text that came from outside (an unverified message, WeChat's
// words) before it goes into a log line or an error, so that nobody can
// write kilobytes into the log with one request.
func clip(s string) string {
	if len(s) <= maxForeign {
		return s
	}
	cut := maxForeign
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
