package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
)

// SignType names a v2 signature algorithm. It is sent as the sign_type field.
type SignType string

const (
	SignMD5        SignType = "MD5"
	SignHMACSHA256 SignType = "HMAC-SHA256"
)

// ParseSignType accepts the two names WeChat uses; anything else is an error.
func ParseSignType(s string) (SignType, error) {
	switch SignType(s) {
	case SignMD5, SignHMACSHA256:
		return SignType(s), nil
	}
	return "", fmt.Errorf("%w: unknown sign_type %q", ErrBadSign, s)
}

type signField struct{ name, value string }

type signScratch struct {
	buf    []byte
	mac    hash.Hash // HMAC-SHA256 keyed with macKey, reused across calls
	macKey string
	sum    []byte
}

// scratch keeps string buffers and a keyed HMAC between calls: signing sits
// on the notification hot path and should not allocate per field or per call.
var scratch = sync.Pool{New: func() any { return &signScratch{buf: make([]byte, 0, 1024)} }}

// signInput writes the string to sign into s.buf: every non-empty field but
// sign, sorted by name in byte order, as k=v joined by &, raw values, then
// &key=<api key>.
func signInput(s *signScratch, p Params, key string) {
	// The fields are sorted on the stack: a heap slice of strings would pay a
	// GC write barrier on every swap while a collection is running.
	var onStack [40]signField
	fields := onStack[:0]
	for k, v := range p {
		if k != "sign" && v != "" {
			fields = append(fields, signField{k, v})
		}
	}
	slices.SortFunc(fields, func(a, b signField) int { return strings.Compare(a.name, b.name) })
	s.buf = s.buf[:0]
	for _, f := range fields {
		s.buf = append(s.buf, f.name...)
		s.buf = append(s.buf, '=')
		s.buf = append(s.buf, f.value...)
		s.buf = append(s.buf, '&')
	}
	s.buf = append(s.buf, "key="...)
	s.buf = append(s.buf, key...)
}

// digest writes the upper-case hex signature into dst and returns its length
// (32 for MD5, 64 for HMAC-SHA256).
func digest(dst *[64]byte, p Params, key string, t SignType) (int, error) {
	s := scratch.Get().(*signScratch)
	defer scratch.Put(s)
	var n int
	switch t {
	case SignMD5:
		signInput(s, p, key)
		sum := md5.Sum(s.buf)
		n = hex.Encode(dst[:], sum[:])
	case SignHMACSHA256:
		signInput(s, p, key)
		if s.mac == nil || s.macKey != key {
			s.mac, s.macKey = hmac.New(sha256.New, []byte(key)), key
		} else {
			s.mac.Reset()
		}
		s.mac.Write(s.buf)
		s.sum = s.mac.Sum(s.sum[:0])
		n = hex.Encode(dst[:], s.sum)
	default:
		return 0, fmt.Errorf("%w: unknown sign_type %q", ErrBadSign, t)
	}
	upper(dst[:n])
	return n, nil
}

func upper(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
}

// Sign returns the signature of p with the API key. A sign_type field in p is
// signed like any other field; t decides the algorithm.
func Sign(p Params, key string, t SignType) (string, error) {
	var out [64]byte
	n, err := digest(&out, p, key, t)
	if err != nil {
		return "", err
	}
	return string(out[:n]), nil
}

// Verify checks the sign field of a received message over every field it
// carries. The algorithm is the one named by sign_type when present and
// otherwise follows the sign's length, because WeChat leaves sign_type out of
// notifications for HMAC-SHA256 orders. The comparison takes constant time.
func Verify(p Params, key string) error {
	got := p["sign"]
	if got == "" {
		return ErrSignMissing
	}
	var t SignType
	switch st := p["sign_type"]; {
	case st != "":
		var err error
		if t, err = ParseSignType(st); err != nil {
			return err
		}
	case len(got) == 64:
		t = SignHMACSHA256
	case len(got) == 32:
		t = SignMD5
	default:
		return fmt.Errorf("%w: sign of length %d", ErrBadSign, len(got))
	}
	var want [64]byte
	n, err := digest(&want, p, key, t)
	if err != nil {
		return err
	}
	if len(got) != n {
		return fmt.Errorf("%w: %s sign of length %d", ErrBadSign, t, len(got))
	}
	var g [64]byte
	copy(g[:], got)
	upper(g[:n])
	if subtle.ConstantTimeCompare(g[:n], want[:n]) != 1 {
		return ErrBadSign
	}
	return nil
}
