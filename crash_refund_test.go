package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/internal/loadkit"
)

// TestCrashInTheMiddleOfRefunds: 20 paid gateway orders are refunded in
// part through epay act=refund, all at once, and the shop is killed with
// SIGKILL while the refunds are in flight. After the restart the shop
// system retries the requests that got no answer (with the same
// out_refund_no, as epay plugins do), and the reconciler finishes what was
// started. In the end every order has exactly one refund of the asked
// amount at WeChat, SUCCESS, and the shop shows it refunded once: nothing
// refunded twice, nothing lost.
func TestCrashInTheMiddleOfRefunds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; run without -short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 85*time.Second)
	defer cancel()
	const pid, key = "1000", "CrashRefundKey0123456789abcdefGH"
	m := newHoldingMerchant(t, key)
	m.open()
	c := newCrashRig(t, ctx, []string{"GATEWAY_PID=" + pid, "GATEWAY_KEY=" + key, "GATEWAY_ALLOW_PRIVATE_NOTIFY=1"})
	const n = 20
	s := loadkit.NewShopper(c.appURL, nil, c.stats)
	pages := make([]string, n) // each order's payment page
	for i := range n {
		code, page := c.mapiOrderWith(ctx, pid, key, fmt.Sprintf("CR-%02d", i), m.srv.URL+"/notify", "1.00")
		pages[i] = page[strings.Index(page, "/pay/"):]
		must(t, s.Pay(ctx, c.simURL+"/scan?code_url="+url.QueryEscape(code)))
	}
	for i := range n { // paid in the shop (its notification or its query)
		c.waitEpayStatus(ctx, pid, key, fmt.Sprintf("CR-%02d", i))
	}

	answered := make([]bool, n)
	var got atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if answered[i] = c.epayRefund(ctx, pid, key, fmt.Sprintf("CR-%02d", i), fmt.Sprintf("RF-%02d", i)); answered[i] {
				got.Add(1)
			}
		})
	}
	for got.Load() < 5 && ctx.Err() == nil { // some answered, the others in flight
		time.Sleep(time.Millisecond)
	}
	c.app().Kill()
	c.killedAt = time.Now()
	wg.Wait()
	port := c.appURL[strings.LastIndex(c.appURL, ":")+1:]
	if u := c.startApp("127.0.0.1:" + port); u != c.appURL {
		t.Fatalf("restarted on %s, want %s", u, c.appURL)
	}
	c.restartedAt = time.Now()
	retried := 0
	for i := range n {
		if !answered[i] {
			retried++
			if !c.epayRefund(ctx, pid, key, fmt.Sprintf("CR-%02d", i), fmt.Sprintf("RF-%02d", i)) {
				t.Fatalf("refund CR-%02d refused after the restart", i)
			}
		}
	}
	t.Logf("%d refund requests answered before the kill, %d retried after the restart", n-retried, retried)

	// At WeChat: exactly one refund of 60 fen per order, all SUCCESS.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var refunds []struct {
			OutTradeNo string `json:"out_trade_no"`
			RefundFee  int64  `json:"refund_fee"`
			Status     string `json:"status"`
		}
		resp, err := http.Get(c.simURL + "/control/refunds")
		must(t, err)
		must(t, json.NewDecoder(resp.Body).Decode(&refunds))
		resp.Body.Close()
		per := map[string]int{}
		done := 0
		for _, r := range refunds {
			per[r.OutTradeNo]++
			if r.RefundFee != 60 {
				t.Fatalf("a refund of %d fen at WeChat, want 60", r.RefundFee)
			}
			if r.Status == "SUCCESS" {
				done++
			}
		}
		for no, k := range per {
			if k > 1 {
				t.Fatalf("order %s refunded %d times at WeChat", no, k)
			}
		}
		if len(refunds) == n && done == n {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%d refunds at WeChat, %d SUCCESS, 60 s after the restart\n%s", len(refunds), done, c.app().Tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// In the shop: every order REFUND with 60 fen refunded (its notification or its query).
	for i := range n {
		c.waitRefunded(ctx, pages[i], 60)
	}
	t.Logf("all %d refunds SUCCESS and shown once in the shop %s after the restart", n, time.Since(c.restartedAt).Round(time.Millisecond))
	if err := c.app().Stop(15 * time.Second); err != nil {
		t.Errorf("graceful stop: %v\n%s", err, c.app().Tail())
	}
}

// epayRefund asks for a 0.60 refund through epay act=refund; false when
// no answer came (the shop is down).
func (c *crashRig) epayRefund(ctx context.Context, pid, key, no, refundNo string) bool {
	form := url.Values{"pid": {pid}, "key": {key}, "out_trade_no": {no}, "money": {"0.60"}, "out_refund_no": {refundNo}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.appURL+"/api.php?act=refund", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var out struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return false
	}
	if out.Code != 1 {
		c.t.Errorf("refund %s: %s", no, out.Msg)
	}
	return true
}

// epayOrder is api.php act=order's answer, retried while the shop is down.
func (c *crashRig) epayOrder(ctx context.Context, pid, key, no string) map[string]any {
	u := c.appURL + "/api.php?" + url.Values{"act": {"order"}, "pid": {pid}, "key": {key}, "out_trade_no": {no}}.Encode()
	for ctx.Err() == nil {
		resp, err := http.Get(u)
		if err == nil {
			var out map[string]any
			derr := json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if derr == nil {
				return out
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("api.php act=order %s: %v", no, ctx.Err())
	return nil
}

func (c *crashRig) waitEpayStatus(ctx context.Context, pid, key, no string) {
	deadline := time.Now().Add(30 * time.Second)
	for c.epayOrder(ctx, pid, key, no)["status"] != float64(1) {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not paid in the shop", no)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRefunded waits until the status of the payment page at path says
// REFUND with fen refunded.
func (c *crashRig) waitRefunded(ctx context.Context, path string, fen int64) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st struct {
			Status      string `json:"status"`
			RefundedFee int64  `json:"refunded_fee"`
		}
		resp, err := http.Get(c.appURL + path + "/status")
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Status == "REFUND" && st.RefundedFee == fen {
				return
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.t.Fatalf("%s in the shop: %+v, want REFUND with %d fen refunded", path, st, fen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
