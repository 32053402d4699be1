package gateway

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"wxcheckout/models"
)

// AppKeyLen is the length of a merchant app's key: letters and digits, as
// the epay plugins expect.
const AppKeyLen = 32

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// keyBound is the largest multiple of len(keyAlphabet) a byte reaches;
// bytes at or above it are dropped, so every character is equally likely.
const keyBound = 256 - 256%len(keyAlphabet)

// NewAppKey draws a key of AppKeyLen letters and digits from r (crypto/rand
// in production), without modulo bias.
func NewAppKey(r io.Reader) (string, error) {
	out := make([]byte, 0, AppKeyLen)
	buf := make([]byte, AppKeyLen+AppKeyLen/4)
	for len(out) < AppKeyLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("app key: %w", err)
		}
		for _, b := range buf {
			if int(b) < keyBound && len(out) < AppKeyLen {
				out = append(out, keyAlphabet[int(b)%len(keyAlphabet)])
			}
		}
	}
	return string(out), nil
}

// ValidAppKey reports whether s is AppKeyLen ASCII letters and digits.
func ValidAppKey(s string) bool {
	if len(s) != AppKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ErrBadPid is a pid that is not a decimal number from models.FirstAppPid up.
var ErrBadPid = errors.New("gateway: invalid pid")

// ParsePid reads a pid as merchants send it: decimal digits, no sign, no
// leading zero, at least models.FirstAppPid.
func ParsePid(s string) (int64, error) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, ErrBadPid
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadPid
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < models.FirstAppPid {
		return 0, ErrBadPid
	}
	return n, nil
}
