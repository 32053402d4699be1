package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
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

type signScratch struct {
	keys []string
	buf  []byte
}

// scratch keeps key slices and string buffers between calls: signing sits on
// the notification hot path and should not allocate per field.
var scratch = sync.Pool{New: func() any { return &signScratch{buf: make([]byte, 0, 1024)} }}

// signInput writes the string to sign into s.buf: every non-empty field but
// sign, sorted by name in byte order, as k=v joined by &, raw values, then
// &key=<api key>.
func signInput(s *signScratch, p Params, key string) {
	s.keys = s.keys[:0]
	for k, v := range p {
		if k != "sign" && v != "" {
			s.keys = append(s.keys, k)
		}
	}
	slices.Sort(s.keys)
	s.buf = s.buf[:0]
	for _, k := range s.keys {
		s.buf = append(s.buf, k...)
		s.buf = append(s.buf, '=')
		s.buf = append(s.buf, p[k]...)
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
	signInput(s, p, key)
	var n int
	switch t {
	case SignMD5:
		sum := md5.Sum(s.buf)
		n = hex.Encode(dst[:], sum[:])
	case SignHMACSHA256:
		m := hmac.New(sha256.New, []byte(key))
		m.Write(s.buf)
		var sum [sha256.Size]byte
		n = hex.Encode(dst[:], m.Sum(sum[:0]))
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
