package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/wxpay"
)

// syncBuffer is stdout shared between the simulator's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startSim runs `wxcheckout sim` on a free loopback port exactly as main
// does and returns its base URL, its log, and a stop that ends it and
// returns run's error.
func startSim(t *testing.T, args []string, env map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, out)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("sim did not shut down")
			return nil
		}
	}
	baseRE := regexp.MustCompile(`base_url=(https?://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m := baseRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, stop
		}
		if time.Now().After(deadline) {
			_ = stop()
			t.Fatalf("no startup line in:\n%s", out)
		}
	}
}

// TestRunSim starts `wxcheckout sim` exactly as main does, with merchant
// credentials from the environment, places an order and pays it on the
// phone page, then stops it.
func TestRunSim(t *testing.T) {
	env := map[string]string{
		"WXPAY_APPID": "wx1111111111111111", "WXPAY_MCH_ID": "1230000109",
		"WXPAY_API_KEY": "abcdefghijklmnopqrstuvwxyz012345",
	}
	ctx := context.Background()
	base, out, stop := startSim(t, []string{"--speedup", "100"}, env)

	c, err := wxpay.NewClient(wxpay.Config{BaseURL: base, AppID: env["WXPAY_APPID"],
		MchID: env["WXPAY_MCH_ID"], APIKey: env["WXPAY_API_KEY"]})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "demo", OutTradeNo: "SIMCMD-0001",
		TotalFee: 1, SpbillCreateIP: "127.0.0.1", NotifyURL: "http://127.0.0.1:1/notify", ProductID: "p1"})
	if err != nil {
		t.Fatalf("unifiedorder against the standalone simulator: %v", err)
	}
	form := url.Values{"code_url": {resp.CodeURL}, "action": {"pay"}}
	pay, err := http.PostForm(base+"/scan", form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(pay.Body)
	pay.Body.Close()
	if pay.StatusCode != http.StatusOK || !strings.Contains(string(page), "支付成功") {
		t.Errorf("phone page pay: HTTP %d", pay.StatusCode)
	}
	if q, err := c.OrderQuery(ctx, "SIMCMD-0001"); err != nil || !q.Paid() {
		t.Errorf("orderquery after paying: %v %v", q, err)
	}

	if err := stop(); err != nil {
		t.Errorf("run returned %v after ctx cancel", err)
	}
	logs := out.String()
	if strings.Contains(logs, env["WXPAY_API_KEY"]) {
		t.Error("the API key appears in the log")
	}
	for _, want := range []string{"phone_page=" + base + "/scan", "op=unifiedorder", "op=orderquery", "wxpaysim paid"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestRunSimBadFlags(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, args := range [][]string{{"sim", "--speedup", "0"}, {"sim", "--nope"}, {"sim", "--addr", "256.0.0.1:x"}, {"sim", "--refund-delay", "-1s"}} {
		if err := run(context.Background(), args, getenv, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// The standalone simulator answers only on loopback unless told otherwise:
// its control endpoints have no authentication.
func TestRunSimDefaultsToLoopback(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "--addr 127.0.0.1:9090"},
		{[]string{"sim", "-h"}, `(default "127.0.0.1:9090")`},
	}
	for _, tt := range tests {
		var out syncBuffer
		_ = run(context.Background(), tt.args, func(string) string { return "" }, &out)
		if got := out.String(); !strings.Contains(got, tt.want) {
			t.Errorf("run(%q) printed %q, want it to contain %q", tt.args, got, tt.want)
		}
	}
}

// `wxcheckout sim --state FILE` keeps its orders across a restart.
func TestRunSimStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	ctx := context.Background()
	base, _, stop := startSim(t, []string{"--state", path}, nil)
	c := testrig.DemoClient(t, base)
	if _, err := c.UnifiedOrder(ctx, simOrder("STATE-0001", "http://127.0.0.1:1/notify")); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	base, _, stop = startSim(t, []string{"--state", path}, nil)
	defer stop()
	if q, err := testrig.DemoClient(t, base).OrderQuery(ctx, "STATE-0001"); err != nil || q.TradeState != wxpay.TradeNotPay {
		t.Errorf("orderquery after restart = %v, %v; want NOTPAY", q, err)
	}
}

func TestRunSimRefusesCorruptState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"sim", "--addr", "127.0.0.1:0", "--state", path},
		func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("run with a corrupt state file = %v, want an error naming %s", err, path)
	}
}
