package gateway

import "errors"

// Problems with what a merchant sent or configured. Errors returned by this
// package wrap them, so callers test with errors.Is and map them to the
// merchant-facing message.
var (
	ErrSignMissing = errors.New("gateway: message carries no sign")
	ErrBadSign     = errors.New("gateway: signature mismatch")
	// ErrStaleSignature is an authentic webhook signature whose timestamp is
	// outside the receiver's tolerance: a replay, or a badly wrong clock.
	ErrStaleSignature = errors.New("gateway: signature timestamp outside tolerance")
	ErrBadMoney       = errors.New("gateway: invalid money")
	// ErrBadURL is a notify_url or return_url that is not an absolute
	// http(s) URL the gateway is willing to call or redirect to.
	ErrBadURL = errors.New("gateway: invalid callback URL")
	// ErrForbiddenAddress is a host that is, or resolves to, an address on
	// the server's own or a private network.
	ErrForbiddenAddress = errors.New("gateway: address not allowed")
)
