package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// reply is what both calls answer: an errcode and errmsg when refused, the
// user's ids (and the session key of jscode2session) when not.
type reply struct {
	ErrCode    int    `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	SessionKey string `json:"session_key"`
}

// decodeReply accepts exactly one JSON object, with no name given twice
// (in any case: encoding/json matches names case-insensitively and would
// let the second win), nothing after it, and the known fields of the right
// types. Unknown fields (access_token, expires_in, scope, …) are ignored.
func decodeReply(b []byte) (*reply, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: bad JSON object", ErrMalformed)
		}
		f := foldName(name)
		if seen[f] {
			return nil, fmt.Errorf("%w: a JSON name given twice", ErrMalformed)
		}
		seen[f] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: bad JSON value", ErrMalformed)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: bad JSON object", ErrMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: a field of the wrong type", ErrMalformed)
	}
	return &r, nil
}

// foldName maps each rune to the least of its case-folding orbit, so two
// names encoding/json would match to one field fold alike.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
