package wxpay

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"
)

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString draws n characters of [0-9A-Za-z] from r without modulo bias.
func randomString(r io.Reader, n int) (string, error) {
	out := make([]byte, n)
	var buf [64]byte
	for i := 0; i < n; {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("wxpay: random source: %w", err)
		}
		for _, c := range buf {
			if c < 248 && i < n { // 248 = 4*62: keep the draw uniform
				out[i] = alnum[c%62]
				i++
			}
		}
	}
	return string(out), nil
}

// NewNonce returns a 32-character nonce_str from crypto/rand.
func NewNonce() string {
	s, err := randomString(rand.Reader, 32)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return s
}

// NewOutTradeNo returns a 28-character out_trade_no that sorts by creation
// time: yyyyMMddHHmmss in Beijing time, six digits of microseconds, then
// eight random characters so that two servers never collide.
func NewOutTradeNo(now time.Time, r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	suffix, err := randomString(r, 8)
	if err != nil {
		return "", err
	}
	t := now.In(beijing)
	return fmt.Sprintf("%s%06d%s", t.Format(timeLayout), t.Nanosecond()/1000, suffix), nil
}

// ValidOutTradeNo reports whether s is 6–32 characters of [0-9A-Za-z_-|*].
func ValidOutTradeNo(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case c == '_', c == '-', c == '|', c == '*':
		default:
			return false
		}
	}
	return true
}
