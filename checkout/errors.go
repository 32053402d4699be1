package checkout

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the outside; handlers map kinds to HTTP
// statuses in one table.
type Kind int

const (
	KindInternal Kind = iota // our fault: the database, a bug
	KindInvalid              // the input is wrong
	KindNotFound             // no such product or order
	KindConflict             // not possible in the order's current state
	KindUpstream             // WeChat Pay said no or could not be reached
	KindRefused              // a notification or message we will not accept
	KindLimited              // the client is over a limit; nothing was created
)

// Error keeps the text safe to show apart from the internal cause, which
// goes only to the log.
type Error struct {
	Kind   Kind
	Public string // safe for shoppers, admins and WeChat to see
	Err    error  // the cause, for the log
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Public, e.Err)
	}
	return e.Public
}

func (e *Error) Unwrap() error { return e.Err }

func newError(k Kind, public string, cause error) *Error {
	return &Error{Kind: k, Public: public, Err: cause}
}

// KindOf returns the kind of err; errors not from this package are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// PublicMessage is the text of err that may be shown outside.
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Public
	}
	return "internal error"
}
