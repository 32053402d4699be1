package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

var (
	v3KeysOnce sync.Once
	v3Stranger *rsa.PrivateKey // signs as anyone but WeChat Pay
)

func v3Keys(t testing.TB) {
	t.Helper()
	v3KeysOnce.Do(func() {
		var err error
		if v3Stranger, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
}

// v3Rig is a rig whose checkout speaks v3 to the simulator through the
// real adapter.
func v3Rig(t *testing.T, sign string) *testrig.Rig {
	t.Helper()
	v3Keys(t)
	return testrig.New(t, testrig.Options{V3: true, V3Sign: sign})
}

// v3Notice is a v3 notification as WeChat sends it; each field can be
// spoiled by a test before send.
type v3Notice struct {
	EventType string
	Tx        map[string]any // the transaction, before encryption
	Key       *rsa.PrivateKey
	Serial    string
	At        time.Time
	APIKey    string
	// Tamper edits the envelope's JSON after encryption, before signing.
	Tamper func([]byte) []byte
}

// newV3Notice is o's payment notification signed with the rig's simulator's
// WeChat Pay public key.
func newV3Notice(r *testrig.Rig, o *models.Order) *v3Notice {
	return noticeFor(r.V3Keys, r.Clock.Now(), o)
}

func noticeFor(k *wxpaysim.V3Keys, at time.Time, o *models.Order) *v3Notice {
	return &v3Notice{EventType: "TRANSACTION.SUCCESS", Key: k.PublicKeyPrivate, Serial: k.PublicKeyID, At: at, APIKey: k.APIv3Key,
		Tx: map[string]any{"appid": wxpaysim.DemoAppID, "mchid": wxpaysim.DemoMchID, "out_trade_no": o.OutTradeNo,
			"transaction_id": "4200000002202611221234567890", "trade_type": "NATIVE", "trade_state": "SUCCESS",
			"trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "", "success_time": "2026-11-22T18:05:00+08:00",
			"payer":  map[string]any{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
			"amount": map[string]any{"total": int64(o.TotalFee), "payer_total": int64(o.TotalFee), "currency": "CNY", "payer_currency": "CNY"}}}
}

func (n *v3Notice) build(t *testing.T) (http.Header, []byte) {
	t.Helper()
	pt, err := json.Marshal(n.Tx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := wxpayv3.Encrypt([]byte(n.APIKey), "fdasflkja484", "transaction", pt, "transaction")
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"id": "EV-2018022511223320873", "create_time": "2026-11-22T18:05:01+08:00",
		"resource_type": "encrypt-resource", "event_type": n.EventType, "summary": "支付成功", "resource": res})
	if err != nil {
		t.Fatal(err)
	}
	if n.Tamper != nil {
		body = n.Tamper(body)
	}
	h := http.Header{}
	if err := wxpayv3.SignHeaders(h, n.Key, n.Serial, body, n.At, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"); err != nil {
		t.Fatal(err)
	}
	return h, body
}

func postNotifyV3(t *testing.T, r *testrig.Rig, h http.Header, body []byte) (int, string) {
	t.Helper()
	status, reply, err := sendNotifyV3(r, h, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, reply
}

func sendNotifyV3(r *testrig.Rig, h http.Header, body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, r.App.URL+"/wxpay/v3/notify", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(reply), err
}

// paidTransitions counts an order's NOTPAY → PAID entries and its v3
// notifications kept in the timeline.
func paidTransitions(t *testing.T, r *testrig.Rig, no string) (transitions, notices int) {
	t.Helper()
	evs, err := r.Svc.Events(t.Context(), r.Order(t, no))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		switch {
		case ev.Kind == models.EventStatus && strings.Contains(ev.Summary, "→ PAID"):
			transitions++
		case ev.Kind == models.EventNotifyV3:
			notices++
		}
	}
	return transitions, notices
}

func TestNotifyV3AppliesOnce(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 2)
	h, body := newV3Notice(r, o).build(t)
	for i := range 2 { // the same notification again: acknowledged, applied once
		if status, reply := postNotifyV3(t, r, h, body); status != http.StatusNoContent || reply != "" {
			t.Fatalf("send %d: reply %d %q, want 204 and no body", i+1, status, reply)
		}
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID != "4200000002202611221234567890" || got.PaidAt == nil ||
		got.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" {
		t.Fatalf("order = %+v, want PAID with the transaction", snap(got))
	}
	if tr, n := paidTransitions(t, r, o.OutTradeNo); tr != 1 || n != 2 {
		t.Errorf("timeline: %d PAID transitions, %d v3 notifications; want 1 and 2", tr, n)
	}
	evs, _ := r.Svc.Events(t.Context(), got)
	for _, ev := range evs {
		if ev.Kind != models.EventNotifyV3 {
			continue
		}
		if !strings.Contains(ev.Request, `"out_trade_no":"`+o.OutTradeNo+`"`) || strings.Contains(ev.Request, r.V3Keys.APIv3Key) ||
			strings.Contains(ev.Request, "ciphertext") || ev.Response != "" || !ev.OK {
			t.Errorf("timeline entry = %+v; want the decrypted transaction, no key, an empty 204 reply", ev)
		}
	}
}

func TestNotifyV3RefusalsChangeNothing(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 1)
	other := r.PlaceOrder(t, "PENNY", 1)
	edit := func(f func(n *v3Notice)) func(*testing.T) (http.Header, []byte) {
		return func(t *testing.T) (http.Header, []byte) { n := newV3Notice(r, o); f(n); return n.build(t) }
	}
	// An old notification of o, replayed once the 5-minute window is over.
	oldH, oldBody := newV3Notice(r, o).build(t)
	r.Clock.Advance(6 * time.Minute)
	tests := []struct {
		name       string
		build      func(*testing.T) (http.Header, []byte)
		wantStatus int
		wantReason string
	}{
		{"replay after the window", func(*testing.T) (http.Header, []byte) { return oldH, oldBody }, 401, "timestamp outside the allowed window"},
		{"from the future", edit(func(n *v3Notice) { n.At = n.At.Add(10 * time.Minute) }), 401, "timestamp outside the allowed window"},
		{"unknown serial", edit(func(n *v3Notice) { n.Serial = "PUB_KEY_ID_0114232134912410000000009999" }), 401, "unknown Wechatpay-Serial"},
		{"platform serial we do not have", edit(func(n *v3Notice) { n.Serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1" }), 401, "unknown Wechatpay-Serial"},
		{"the merchant's own serial", edit(func(n *v3Notice) { n.Serial, n.Key = r.V3Keys.MchSerial(), r.V3Keys.MchKey }), 401, "unknown Wechatpay-Serial"},
		{"public key signed, platform serial", edit(func(n *v3Notice) { n.Serial = r.V3Keys.PlatformSerial() }), 401, "invalid sign"},
		{"bad signature", edit(func(n *v3Notice) { n.Key = v3Stranger }), 401, "invalid sign"},
		{"body changed after signing", func(t *testing.T) (http.Header, []byte) {
			h, b := newV3Notice(r, o).build(t)
			return h, bytes.Replace(b, []byte("支付成功"), []byte("支付失败"), 1)
		}, 401, "invalid sign"},
		{"no signature", func(t *testing.T) (http.Header, []byte) {
			h, b := newV3Notice(r, o).build(t)
			h.Del(wxpayv3.HeaderSignature)
			return h, b
		}, 401, "invalid sign"},
		{"tampered ciphertext", edit(func(n *v3Notice) {
			n.Tamper = func(b []byte) []byte {
				var env map[string]any
				_ = json.Unmarshal(b, &env)
				res := env["resource"].(map[string]any)
				ct, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
				ct[10] ^= 1
				res["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
				out, _ := json.Marshal(env)
				return out
			}
		}), 400, "resource does not decrypt"},
		{"another APIv3 key", edit(func(n *v3Notice) { n.APIKey = strings.Repeat("k", 32) }), 400, "resource does not decrypt"},
		{"wrong mchid", edit(func(n *v3Notice) { n.Tx["mchid"] = "1230000109" }), 400, "appid or mch_id mismatch"},
		{"wrong appid", edit(func(n *v3Notice) { n.Tx["appid"] = "wx0000000000000000" }), 400, "appid or mch_id mismatch"},
		{"wrong amount", edit(func(n *v3Notice) { n.Tx["amount"] = map[string]any{"total": 1, "currency": "CNY"} }), 400, "amount mismatch"},
		{"amount of another order", edit(func(n *v3Notice) {
			n.Tx["amount"] = map[string]any{"total": int64(other.TotalFee), "currency": "CNY"}
		}), 400, "amount mismatch"},
		{"unknown order", edit(func(n *v3Notice) { n.Tx["out_trade_no"] = "20261122000000000000NOSUCH1" }), 400, "unknown out_trade_no"},
		{"malformed JSON", edit(func(n *v3Notice) { n.Tamper = func(b []byte) []byte { return b[:len(b)-1] } }), 400, "malformed JSON"},
		{"oversized", func(t *testing.T) (http.Header, []byte) {
			n := newV3Notice(r, o)
			n.Tamper = func([]byte) []byte { return []byte(`{"id":"` + strings.Repeat("x", 70<<10) + `"}`) }
			return n.build(t)
		}, 413, "body too large"},
	}
	before, beforeOther := snap(r.Order(t, o.OutTradeNo)), snap(r.Order(t, other.OutTradeNo))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.build(t)
			status, reply := postNotifyV3(t, r, h, body)
			var got struct{ Code, Message string }
			if err := json.Unmarshal([]byte(reply), &got); err != nil || status != tt.wantStatus || got.Code != "FAIL" ||
				(tt.wantReason != "" && got.Message != tt.wantReason) {
				t.Errorf("reply = %d %s, want %d {\"code\":\"FAIL\",\"message\":%q}", status, reply, tt.wantStatus, tt.wantReason)
			}
			if got := snap(r.Order(t, o.OutTradeNo)); got != before {
				t.Errorf("order changed: %+v, was %+v", got, before)
			}
			if got := snap(r.Order(t, other.OutTradeNo)); got != beforeOther {
				t.Errorf("other order changed: %+v, was %+v", got, beforeOther)
			}
		})
	}
	// The genuine notification, sent now, is still taken: the refusals
	// left nothing behind that stands in its way.
	h, body := newV3Notice(r, o).build(t)
	if status, reply := postNotifyV3(t, r, h, body); status != http.StatusNoContent {
		t.Fatalf("genuine notification after the battery: %d %s", status, reply)
	}
	if tr, _ := paidTransitions(t, r, o.OutTradeNo); tr != 1 {
		t.Errorf("%d PAID transitions, want 1", tr)
	}
}

func TestNotifyV3OtherEventsAreAcknowledged(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 1)
	before := snap(r.Order(t, o.OutTradeNo))
	// A REFUND.* for a refund that is not ours is refused; an event the
	// shop does not know is acknowledged. Neither changes anything.
	for ev, status := range map[string]string{"REFUND.SUCCESS": "SUCCESS", "REFUND.ABNORMAL": "ABNORMAL", "REFUND.CLOSED": "CLOSED", "SOMETHING.NEW": "SUCCESS"} {
		n := newV3Notice(r, o)
		n.EventType = ev
		n.Tx = map[string]any{"mchid": wxpaysim.DemoMchID, "out_trade_no": o.OutTradeNo, "refund_status": status,
			"transaction_id": "4200002345202411230000000001", "out_refund_no": "R" + o.OutTradeNo,
			"refund_id": "50300000012024112300000000001", "success_time": "2024-11-23T16:00:05+08:00",
			"amount": map[string]any{"total": int64(o.TotalFee), "refund": int64(o.TotalFee)}}
		h, body := n.build(t)
		status, reply := postNotifyV3(t, r, h, body)
		switch {
		case ev == "SOMETHING.NEW" && (status != http.StatusNoContent || reply != ""):
			t.Errorf("%s: reply %d %q, want 204", ev, status, reply)
		case ev != "SOMETHING.NEW" && (status < 400 || status >= 500 || !strings.Contains(reply, `"code":"FAIL"`)):
			t.Errorf("%s of a refund that is not ours: reply %d %q, want 4xx FAIL", ev, status, reply)
		}
	}
	if got := snap(r.Order(t, o.OutTradeNo)); got != before {
		t.Errorf("order changed: %+v, was %+v", got, before)
	}
}

// A v3 refund end to end: the shop refunds through the v3 adapter at the
// simulator, which reports SUCCESS after its delay with an encrypted
// REFUND.SUCCESS notification to /wxpay/v3/notify; the order becomes
// REFUND with the refunded amount.
func TestV3RefundEndToEnd(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 1)
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.Order(t, o.OutTradeNo).Status == models.StatusPaid })
	ref, _, err := r.Svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 1000, Reason: "退一部分", Actor: "test"})
	if err != nil || ref.Status != models.RefundProcessing {
		t.Fatalf("v3 refund: %+v %v", ref, err)
	}
	r.Clock.Advance(time.Minute) // past the simulator's refund delay
	waitFor(t, func() bool {
		r.Svc.ReconcileOnce(context.Background(), 2, 10)
		got := r.Order(t, o.OutTradeNo)
		return got.Status == models.StatusRefund && got.RefundedFee == 1000
	})
}

func TestNotifyV3RefusedByAV2Shop(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	h, body := noticeFor(testrig.SharedV3Keys(t), r.Clock.Now(), o).build(t)
	status, reply := postNotifyV3(t, r, h, body)
	if status != http.StatusNotFound || !strings.Contains(reply, `"code":"FAIL"`) {
		t.Errorf("v3 notification to a v2 shop: %d %s, want 404 FAIL", status, reply)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay {
		t.Errorf("order = %s, want NOTPAY", got.Status)
	}
}

func TestNotifyV3ConcurrentDuplicatesApplyOnce(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 3)
	h, body := newV3Notice(r, o).build(t)
	const n = 30
	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if statuses[i], _, err = sendNotifyV3(r, h, body); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusNoContent {
			t.Fatalf("reply %d = %d, want 204", i, s)
		}
	}
	if tr, notices := paidTransitions(t, r, o.OutTradeNo); tr != 1 || notices != n {
		t.Errorf("timeline: %d PAID transitions, %d notifications; want 1 and %d", tr, notices, n)
	}
}

// A payment made on the simulator's phone reaches the shop as a v3
// notification, signed and encrypted by the simulator, and is applied once;
// with --v3-sign both, replies and notifications come signed by the public
// key and by the platform certificate by turns (a switch), and the shop
// verifies every one.
func TestNotifyV3FromTheSimulator(t *testing.T) {
	for _, sign := range []string{wxpaysim.V3SignPubKey, wxpaysim.V3SignCert, wxpaysim.V3SignBoth} {
		t.Run(sign, func(t *testing.T) {
			r := v3Rig(t, sign)
			o := r.PlaceOrder(t, "COFFEE", 1)
			if o.Status != models.StatusNotPay || !strings.HasPrefix(o.CodeURL, "weixin://") {
				t.Fatalf("v3 checkout: %s %q", o.Status, o.CodeURL)
			}
			for range 3 { // replies signed by turns under "both"
				if err := r.Svc.Sync(t.Context(), o.OutTradeNo, "test"); err != nil {
					t.Fatalf("query before payment: %v", err)
				}
			}
			changes, cancel := r.Svc.Watch(o.OutTradeNo)
			defer cancel()
			if err := r.Sim.PayOutTradeNo(o.OutTradeNo); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-changes:
				if s != models.StatusPaid {
					t.Fatalf("status change %s, want PAID", s)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no payment after 10 s: the simulator's v3 notification was not applied")
			}
			if err := r.Svc.Sync(t.Context(), o.OutTradeNo, "test"); err != nil {
				t.Errorf("query after payment: %v", err)
			}
			if tr, n := paidTransitions(t, r, o.OutTradeNo); tr != 1 || n < 1 {
				t.Errorf("timeline: %d PAID transitions, %d v3 notifications", tr, n)
			}
		})
	}
}

func TestNotifyV3SignedByThePlatformCertificate(t *testing.T) {
	r := v3Rig(t, "")
	o := r.PlaceOrder(t, "COFFEE", 1)
	n := newV3Notice(r, o)
	n.Key, n.Serial = r.V3Keys.PlatformKey, strings.ToLower(r.V3Keys.PlatformSerial()) // serials compare case-insensitively
	h, body := n.build(t)
	if status, reply := postNotifyV3(t, r, h, body); status != http.StatusNoContent {
		t.Fatalf("reply %d %s, want 204", status, reply)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Errorf("order = %s, want PAID", got.Status)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
