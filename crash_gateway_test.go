package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/internal/loadkit"
)

// TestCrashBetweenPaidAndMerchantNotification is SPEC §6's "never lost"
// proof on the built binary: gateway orders are paid while the merchant's
// notify_url holds every notification open, so the shop is between PAID and
// a delivered notification when it is killed with SIGKILL; more orders are
// paid while it is down. After the restart every paid order's merchant
// must receive its signed epay notification.
func TestCrashBetweenPaidAndMerchantNotification(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; run without -short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 85*time.Second)
	defer cancel()
	const pid, key = "1000", "CrashTestKey0123456789abcdefGHIJ"
	m := newHoldingMerchant(t, key)
	c := newCrashRig(t, ctx, []string{"GATEWAY_PID=" + pid, "GATEWAY_KEY=" + key, "GATEWAY_ALLOW_PRIVATE_NOTIFY=1"})

	const n, payBeforeKill = 30, 20
	codes := make([]string, n)
	for i := range n {
		codes[i] = c.mapiOrder(ctx, pid, key, fmt.Sprintf("CRASH-%02d", i), m.srv.URL+"/notify")
	}
	s := loadkit.NewShopper(c.appURL, nil, c.stats)
	scan := func(code string) string { return c.simURL + "/scan?code_url=" + url.QueryEscape(code) }
	for _, code := range codes[:payBeforeKill] {
		must(t, s.Pay(ctx, scan(code)))
	}
	// Wait until notifications are in flight: paid, not yet acknowledged.
	for m.held() < 10 {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d notifications reached the merchant before the deadline", m.held())
		case <-time.After(20 * time.Millisecond):
		}
	}
	c.app().Kill()
	c.killedAt = time.Now()
	t.Logf("killed with %d merchant notifications in flight", m.held())
	for _, code := range codes[payBeforeKill:] {
		must(t, s.Pay(ctx, scan(code)))
	}
	m.open() // from now on the merchant acknowledges
	port := c.appURL[strings.LastIndex(c.appURL, ":")+1:]
	if u := c.startApp("127.0.0.1:" + port); u != c.appURL {
		t.Fatalf("restarted on %s, want %s", u, c.appURL)
	}
	c.restartedAt = time.Now()
	for len(m.acknowledged()) < n {
		if time.Since(c.restartedAt) > 60*time.Second || ctx.Err() != nil {
			t.Fatalf("%d of %d merchant notifications acknowledged %s after the restart; missing %v\n%s",
				len(m.acknowledged()), n, time.Since(c.restartedAt), m.missing(n), c.app().Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all %d merchant notifications delivered %s after the restart (%d bad signs)",
		n, time.Since(c.restartedAt).Round(time.Millisecond), m.badSigns())
	if m.badSigns() > 0 {
		t.Errorf("%d notifications had a bad sign", m.badSigns())
	}
	if err := c.app().Stop(15 * time.Second); err != nil {
		t.Errorf("graceful stop: %v\n%s", err, c.app().Tail())
	}
}

// mapiOrder creates a gateway order through /mapi.php, signed as the
// plugins sign, and returns its code_url.
func (c *crashRig) mapiOrder(ctx context.Context, pid, key, no, notifyURL string) string {
	c.t.Helper()
	code, _ := c.mapiOrderWith(ctx, pid, key, no, notifyURL, "0.01")
	return code
}

// mapiOrderWith creates a gateway order of money yuan through /mapi.php
// and returns its code_url and payment page URL.
func (c *crashRig) mapiOrderWith(ctx context.Context, pid, key, no, notifyURL, money string) (code, payURL string) {
	c.t.Helper()
	p := map[string]string{"pid": pid, "type": "wxpay", "out_trade_no": no, "notify_url": notifyURL,
		"return_url": "https://shop.example/return", "name": "崩溃测试 " + no, "money": money,
		"clientip": "203.0.113.5", "device": "pc", "sign_type": "MD5"}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	form.Set("sign", gateway.EpaySign(p, key))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.appURL+"/mapi.php", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code   int    `json:"code"`
		Msg    string `json:"msg"`
		QRCode string `json:"qrcode"`
		PayURL string `json:"payurl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code != 1 || out.QRCode == "" {
		c.t.Fatalf("mapi.php %s: %+v %v", no, out, err)
	}
	return out.QRCode, out.PayURL
}

// holdingMerchant is a shop system's notify_url that first holds every
// notification open without answering, then acknowledges the ones whose
// sign verifies.
type holdingMerchant struct {
	srv     *httptest.Server
	key     string
	mu      sync.Mutex
	release chan struct{}
	inHold  int
	acked   map[string]int // out_trade_no → acknowledged deliveries
	bad     int
}

func newHoldingMerchant(t *testing.T, key string) *holdingMerchant {
	m := &holdingMerchant{key: key, release: make(chan struct{}), acked: map[string]int{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(func() { m.open(); m.srv.Close() })
	return m
}

func (m *holdingMerchant) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	release := m.release
	holding := release != nil
	if holding {
		m.inHold++
	}
	m.mu.Unlock()
	if holding {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "too late", http.StatusServiceUnavailable)
		return
	}
	io.Copy(io.Discard, r.Body)
	q := r.URL.Query()
	params := map[string]string{}
	for k := range q {
		params[k] = q.Get(k)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if gateway.EpayVerify(params, m.key) != nil || q.Get("trade_status") != "TRADE_SUCCESS" {
		m.bad++
		http.Error(w, "bad sign", http.StatusBadRequest)
		return
	}
	m.acked[q.Get("out_trade_no")]++
	fmt.Fprint(w, "success")
}

func (m *holdingMerchant) open() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.release != nil {
		close(m.release)
		m.release = nil
	}
}

func (m *holdingMerchant) held() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inHold
}

func (m *holdingMerchant) badSigns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bad
}

func (m *holdingMerchant) acknowledged() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.acked))
	for k, v := range m.acked {
		out[k] = v
	}
	return out
}

func (m *holdingMerchant) missing(n int) []string {
	got := m.acknowledged()
	var out []string
	for i := range n {
		if no := fmt.Sprintf("CRASH-%02d", i); got[no] == 0 {
			out = append(out, no)
		}
	}
	return out
}
