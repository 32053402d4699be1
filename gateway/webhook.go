package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WebhookSignatureHeader carries SignWebhook's value on every webhook.
const WebhookSignatureHeader = "Wxcheckout-Signature"

// SignWebhook returns the Wxcheckout-Signature header value for a webhook
// body sent at t: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>.
// The timestamp is inside the MAC so a receiver can refuse old replays.
func SignWebhook(key string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(webhookMAC(key, ts, body))
}

func webhookMAC(key, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks a Wxcheckout-Signature header against the raw body,
// as a merchant's receiver should: the MAC first (constant time), then the
// timestamp, which must be within tolerance of now either way. Several v1
// entries are accepted, any one matching, so a key can be rotated; unknown
// entries are ignored so a later scheme can be added beside v1.
func VerifyWebhook(key, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrSignMissing
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed signature header", ErrBadSign)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: two timestamps", ErrBadSign)
			}
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts == "" || ts[0] == '+' || ts[0] == '-' {
		return fmt.Errorf("%w: bad timestamp %q", ErrBadSign, ts)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no valid v1 signature", ErrSignMissing)
	}
	want := webhookMAC(key, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSign
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %d, %v from now", ErrStaleSignature, sec, age)
	}
	return nil
}
