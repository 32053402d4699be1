package wxpaysim_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// t0 is a fixed start for manual clocks: 2025-03-01 10:00:00 Beijing time.
var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// rig is a simulator under httptest.
type rig struct {
	sim   *wxpaysim.Server
	ts    *httptest.Server
	clock *wxpaysim.ManualClock // nil on the real clock
}

// newRig starts a simulator for the demo merchant. Closing the simulator
// first ends hung calls, so the httptest server can then close.
func newRig(tb testing.TB, opts wxpaysim.Options) *rig {
	tb.Helper()
	r := &rig{}
	if c, ok := opts.Clock.(*wxpaysim.ManualClock); ok {
		r.clock = c
	}
	sim, err := wxpaysim.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("open simulator: %v", err)
	}
	r.sim = sim
	r.ts = httptest.NewServer(r.sim)
	tb.Cleanup(func() {
		r.sim.Close()
		r.ts.Close()
	})
	return r
}

// manualRig is a rig on a ManualClock, closing allowed at once.
func manualRig(tb testing.TB) *rig {
	tb.Helper()
	return newRig(tb, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), MinCloseAge: -1})
}

// client is a wxpay client for the demo merchant, with cfg changes applied.
func (r *rig) client(tb testing.TB, change ...func(*wxpay.Config)) *wxpay.Client {
	tb.Helper()
	cfg := wxpay.Config{
		BaseURL: r.ts.URL, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID, APIKey: wxpaysim.DemoAPIKey,
		HTTPClient: r.ts.Client(),
	}
	if r.clock != nil {
		cfg.Now = r.clock.Now
	}
	for _, f := range change {
		f(&cfg)
	}
	c, err := wxpay.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// postRaw posts body as-is and decodes the reply.
func (r *rig) postRaw(tb testing.TB, path string, body []byte) wxpay.Params {
	tb.Helper()
	resp, err := r.ts.Client().Post(r.ts.URL+path, "text/xml", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("POST %s: HTTP %d %s", path, resp.StatusCode, b)
	}
	p, err := wxpay.Decode(b)
	if err != nil {
		tb.Fatalf("POST %s: reply %q: %v", path, b, err)
	}
	return p
}

// signed posts p signed with the demo key (MD5 unless p names a sign_type)
// and checks that a return_code=SUCCESS reply is signed the same way.
func (r *rig) signed(tb testing.TB, path string, p wxpay.Params) wxpay.Params {
	tb.Helper()
	t := wxpay.SignMD5
	if st := p["sign_type"]; st != "" {
		t = wxpay.SignType(st)
	}
	sign, err := wxpay.Sign(p, wxpaysim.DemoAPIKey, t)
	if err != nil {
		tb.Fatal(err)
	}
	p["sign"] = sign
	reply := r.postRaw(tb, path, wxpay.Encode(p))
	if reply["return_code"] == "SUCCESS" {
		if err := wxpay.Verify(reply, wxpaysim.DemoAPIKey); err != nil {
			tb.Fatalf("reply not signed: %v: %v", err, reply)
		}
		if got := reply["sign_type"]; got != p["sign_type"] {
			tb.Errorf("reply sign_type = %q, want %q", got, p["sign_type"])
		}
	}
	return reply
}

// orderFields is a valid NATIVE unifiedorder request, unsigned.
func orderFields(no string) wxpay.Params {
	return wxpay.Params{
		"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(),
		"body": "测试商品", "out_trade_no": no, "total_fee": "1234", "spbill_create_ip": "127.0.0.1",
		"notify_url": "http://127.0.0.1:1/notify", "trade_type": "NATIVE", "product_id": "sku-1",
	}
}

// orderReq is a valid order for the wxpay client, notifying notifyURL.
func orderReq(no, notifyURL string) *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{
		Body: "测试商品", OutTradeNo: no, TotalFee: 1234, SpbillCreateIP: "127.0.0.1",
		NotifyURL: notifyURL, ProductID: "sku-1", Attach: "note=1",
	}
}

// place creates an order through the client and returns its code_url.
func place(tb testing.TB, c *wxpay.Client, req *wxpay.UnifiedOrderRequest) string {
	tb.Helper()
	resp, err := c.UnifiedOrder(context.Background(), req)
	if err != nil {
		tb.Fatalf("unifiedorder %s: %v", req.OutTradeNo, err)
	}
	return resp.CodeURL
}

// merchant is a notify_url under httptest that records what it receives
// and answers with answer (by default the SUCCESS XML).
type merchant struct {
	ts     *httptest.Server
	answer func(body []byte) (int, []byte)
	mu     sync.Mutex
	got    []wxpay.Params
}

func newMerchant(tb testing.TB, answer func(body []byte) (int, []byte)) *merchant {
	tb.Helper()
	if answer == nil {
		answer = func([]byte) (int, []byte) { return http.StatusOK, wxpay.SuccessReply }
	}
	m := &merchant{answer: answer}
	m.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := wxpay.Decode(body)
		if err != nil {
			tb.Errorf("merchant got malformed notification %q: %v", body, err)
		}
		m.mu.Lock()
		m.got = append(m.got, p)
		m.mu.Unlock()
		status, reply := m.answer(body)
		w.WriteHeader(status)
		_, _ = w.Write(reply)
	}))
	tb.Cleanup(m.ts.Close)
	return m
}

func (m *merchant) url() string { return m.ts.URL + "/wxpay/notify" }

func (m *merchant) received() []wxpay.Params {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]wxpay.Params(nil), m.got...)
}

// eventually polls cond until it holds, failing after a generous deadline.
// It waits for goroutines to catch up; it never asserts speed.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitTimer waits until the simulator is waiting on the manual clock for
// exactly want, the only pending timer.
func (r *rig) waitTimer(tb testing.TB, want time.Duration) {
	tb.Helper()
	var got []time.Duration
	eventually(tb, "a retry timer", func() bool { got = r.clock.Waiting(); return len(got) > 0 })
	if len(got) != 1 || got[0] != want {
		tb.Fatalf("waiting on %v, want [%v]", got, want)
	}
}

// deliveriesOf returns the recorded attempts for one order.
func (r *rig) deliveriesOf(no string) []wxpaysim.Delivery {
	var out []wxpaysim.Delivery
	for _, d := range r.sim.Deliveries() {
		if d.OutTradeNo == no {
			out = append(out, d)
		}
	}
	return out
}

func contains(tb testing.TB, s, sub string) {
	tb.Helper()
	if !strings.Contains(s, sub) {
		tb.Errorf("missing %q in:\n%s", sub, s)
	}
}
