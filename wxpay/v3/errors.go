package wxpayv3

import "errors"

// Problems with a message or a key. Errors returned by this package wrap
// them, so callers test with errors.Is.
var (
	ErrBadKey = errors.New("wxpayv3: unusable key or certificate")
	// ErrUnknownSerial is a Wechatpay-Serial naming no key we hold.
	ErrUnknownSerial = errors.New("wxpayv3: unknown Wechatpay-Serial")
	// ErrStaleTimestamp is a Wechatpay-Timestamp outside the 5-minute window.
	ErrStaleTimestamp = errors.New("wxpayv3: timestamp outside the allowed window")
	ErrBadSignature   = errors.New("wxpayv3: signature does not verify")
	// ErrMissingHeader is a signed message without one of the Wechatpay-* headers.
	ErrMissingHeader = errors.New("wxpayv3: missing signature header")
	// ErrDecrypt is a resource that does not decrypt: tampered, or another
	// APIv3 key (a likely wrong WXPAY_APIV3_KEY when the signature verified).
	ErrDecrypt      = errors.New("wxpayv3: resource does not decrypt")
	ErrMalformed    = errors.New("wxpayv3: malformed message")
	ErrBadAuthorize = errors.New("wxpayv3: malformed Authorization header")
)
