package gateway

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// EpaySign returns the epay V1 signature of params: every parameter with a
// non-empty value except sign and sign_type, sorted by name in byte order,
// joined as k=v&k=v with raw (decoded) values, the key appended directly,
// lower-case hex MD5. The shop systems' plugins compute exactly this string,
// so nothing is escaped or trimmed.
func EpaySign(params map[string]string, key string) string {
	names := make([]string, 0, len(params))
	for k, v := range params {
		if v != "" && k != "sign" && k != "sign_type" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	b.WriteString(key)
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// EpayVerify checks the sign of a received epay request. sign_type may be
// absent (several plugins leave it out) or MD5 in any case; epay V1 knows no
// other. The comparison takes constant time.
func EpayVerify(params map[string]string, key string) error {
	got := params["sign"]
	if got == "" {
		return ErrSignMissing
	}
	if st := params["sign_type"]; st != "" && !strings.EqualFold(st, "MD5") {
		return fmt.Errorf("%w: unsupported sign_type %q", ErrBadSign, st)
	}
	want := EpaySign(params, key)
	// PHP's md5() is lower-case; an upper-case sign is the same digest, and
	// lower-casing it tells an attacker nothing about the key.
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) != 1 {
		return ErrBadSign
	}
	return nil
}
