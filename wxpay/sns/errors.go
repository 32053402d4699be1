package sns

import (
	"errors"
	"fmt"
)

// MaxCodeLen bounds an OAuth code or js_code (WeChat's are 32 characters).
const MaxCodeLen = 128

var (
	// ErrInvalidArgument is a call refused before sending: no appid or
	// secret, or an unusable API base.
	ErrInvalidArgument = errors.New("sns: invalid argument")
	// ErrBadCode is an empty or oversized code, refused before sending;
	// IsInvalidCode reports it as WeChat's invalid code.
	ErrBadCode = errors.New("sns: the code is empty or too long")
	// ErrMalformed is a reply that is not one JSON object with the fields
	// the call answers with.
	ErrMalformed = errors.New("sns: malformed reply")
)

// WeChat's errcodes about the code itself.
const (
	CodeInvalidCode = 40029 // invalid code (also a js_code that is not one)
	CodeCodeUsed    = 40163 // code been used
	CodeMissingCode = 41008 // missing code
)

// Error is WeChat answering {"errcode":…,"errmsg":…}: the call was
// received and refused.
type Error struct {
	Op      string // oauth2/access_token, jscode2session
	ErrCode int
	ErrMsg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sns %s: errcode %d: %s", e.Op, e.ErrCode, e.ErrMsg)
}

// TransportError is a call that got no usable answer: the network, the
// context, an HTTP status other than 200, or a malformed reply. It never
// holds the request URL.
type TransportError struct {
	Op         string
	HTTPStatus int // 0 when no reply came
	Err        error
}

func (e *TransportError) Error() string { return fmt.Sprintf("sns %s: %v", e.Op, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// IsInvalidCode reports whether the code was refused as unknown, forged,
// expired, used already or missing — the shopper's or client's fault, to
// answer 400 invalid_code; any other failure is the server's.
func IsInvalidCode(err error) bool {
	if errors.Is(err, ErrBadCode) {
		return true
	}
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.ErrCode {
	case CodeInvalidCode, CodeCodeUsed, CodeMissingCode:
		return true
	}
	return false
}

// ErrCode returns the errcode of a *Error, or 0 for any other error.
func ErrCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrCode
	}
	return 0
}
