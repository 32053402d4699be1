package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
)

// TestLogsNeverShowTheAPIKey runs a purchase with a key of our own and
// reads every log line the app wrote.
func TestLogsNeverShowTheAPIKey(t *testing.T) {
	const key = "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4"
	var logs syncBuffer
	a, stop := launchAppLogging(t, map[string]string{"WXPAY_API_KEY": key}, &logs)
	o := buyOverHTTP(t, a, "COFFEE-250")
	must(t, a.sim.Pay(o.CodeURL))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := a.svc.OrderByToken(context.Background(), o.Token)
		must(t, err)
		if got.Status == models.StatusPaid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not paid within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(t, stop())
	out := logs.String()
	for _, want := range []string{"wxcheckout is ready", "order paid", "request_id="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, key) {
		t.Error("the API key appears in the log")
	}
}
