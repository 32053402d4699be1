package gateway_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"wxcheckout/gateway"
)

const webhookBody = `{"id":"evt_1","type":"order.paid"}`

// webhookAt is 2024-06-01 12:30:00 +08:00, unix 1717216200.
var webhookAt = time.Date(2024, 6, 1, 12, 30, 0, 0, time.FixedZone("CST", 8*3600))

// TestSignWebhookHandComputed: the MAC input is "<t>.<raw body>"; check with
// printf '%s' '1717216200.{"id":"evt_1","type":"order.paid"}' |
// openssl dgst -sha256 -hmac 5f1HcjA0qk8sUc3fZpWbQ2rXy7Nd9LmT
func TestSignWebhookHandComputed(t *testing.T) {
	want := "t=1717216200,v1=858bd7c9456d458b85ddadda20652f95c513d3c8321f8cbdd7953abbdc0198e2"
	if got := gateway.SignWebhook(testKey, webhookAt, []byte(webhookBody)); got != want {
		t.Errorf("SignWebhook = %s\nwant %s", got, want)
	}
	if got := gateway.SignWebhook(testKey, webhookAt.UTC(), []byte(webhookBody)); got != want {
		t.Errorf("SignWebhook in UTC = %s, want the same header whatever the zone", got)
	}
}

func TestVerifyWebhook(t *testing.T) {
	good := gateway.SignWebhook(testKey, webhookAt, []byte(webhookBody))
	sig := strings.TrimPrefix(good, "t=1717216200,v1=")
	tests := []struct {
		name   string
		header string
		body   string
		now    time.Time
		want   error // nil: accepted
	}{
		{"as signed", good, webhookBody, webhookAt, nil},
		{"4m59s later", good, webhookBody, webhookAt.Add(5*time.Minute - time.Second), nil},
		{"exactly tolerance", good, webhookBody, webhookAt.Add(5 * time.Minute), nil},
		{"receiver clock behind", good, webhookBody, webhookAt.Add(-4 * time.Minute), nil},
		{"spaces and an unknown scheme", "t=1717216200, v0=abc, v1=" + sig, webhookBody, webhookAt, nil},
		{"rotated key: second v1 matches", "t=1717216200,v1=" + strings.Repeat("0", 64) + ",v1=" + sig, webhookBody, webhookAt, nil},
		{"upper-case hex", "t=1717216200,v1=" + strings.ToUpper(sig), webhookBody, webhookAt, nil},
		{"too old", good, webhookBody, webhookAt.Add(5*time.Minute + time.Second), gateway.ErrStaleSignature},
		{"from the future", good, webhookBody, webhookAt.Add(-6 * time.Minute), gateway.ErrStaleSignature},
		{"empty header", "", webhookBody, webhookAt, gateway.ErrSignMissing},
		{"no v1", "t=1717216200", webhookBody, webhookAt, gateway.ErrSignMissing},
		{"v1 not hex", "t=1717216200,v1=zz", webhookBody, webhookAt, gateway.ErrSignMissing},
		{"body changed", good, webhookBody + " ", webhookAt, gateway.ErrBadSign},
		{"timestamp changed", "t=1717216201,v1=" + sig, webhookBody, webhookAt, gateway.ErrBadSign},
		{"two timestamps", good + ",t=1717216201", webhookBody, webhookAt, gateway.ErrBadSign},
		{"no timestamp", "v1=" + sig, webhookBody, webhookAt, gateway.ErrBadSign},
		{"signed timestamp", "t=+1717216200,v1=" + sig, webhookBody, webhookAt, gateway.ErrBadSign},
		{"malformed part", "t=1717216200,garbage,v1=" + sig, webhookBody, webhookAt, gateway.ErrBadSign},
		{"truncated MAC", "t=1717216200,v1=" + sig[:62], webhookBody, webhookAt, gateway.ErrSignMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gateway.VerifyWebhook(testKey, tt.header, []byte(tt.body), tt.now, 5*time.Minute)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("VerifyWebhook(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
	if err := gateway.VerifyWebhook("another key", good, []byte(webhookBody), webhookAt, time.Minute); !errors.Is(err, gateway.ErrBadSign) {
		t.Errorf("VerifyWebhook with another key = %v, want ErrBadSign", err)
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add(gateway.SignWebhook(testKey, webhookAt, []byte(webhookBody)), []byte(webhookBody), int64(0))
	f.Add("t=1,v1=", []byte(""), int64(1))
	f.Add("t=99999999999999999999,v1=00", []byte("x"), int64(-1))
	f.Add(",,,=,t=,v1==", []byte{0xff}, int64(300))
	f.Fuzz(func(t *testing.T, header string, body []byte, skew int64) {
		now := webhookAt.Add(time.Duration(skew) * time.Second)
		err := gateway.VerifyWebhook(testKey, header, body, now, 5*time.Minute)
		if err != nil && !errors.Is(err, gateway.ErrBadSign) && !errors.Is(err, gateway.ErrSignMissing) && !errors.Is(err, gateway.ErrStaleSignature) {
			t.Fatalf("VerifyWebhook(%q) = %v, not a typed error", header, err)
		}
		// A fresh signature of any body verifies.
		h := gateway.SignWebhook(testKey, now, body)
		if err := gateway.VerifyWebhook(testKey, h, body, now, 0); err != nil {
			t.Fatalf("VerifyWebhook(SignWebhook(%q)) = %v", body, err)
		}
	})
}
