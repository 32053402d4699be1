package wxpaysim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// A v3 order paid on the phone page is notified in v3: signed, encrypted
// with the APIv3 key, carrying the transaction.
func TestV3NotificationFromPhonePage(t *testing.T) {
	r := v3Rig(t, "")
	m := newV3Merchant(t, nil)
	codeURL, _ := r.native(t, nativeBody("phoneorder1", m.url(), r.clock.Now())).json(t)["code_url"].(string)

	page, err := r.ts.Client().Get(r.ts.URL + "/scan?code_url=" + url.QueryEscape(codeURL))
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	contains(t, string(html), "测试商品")
	contains(t, string(html), "12.34")

	resp, err := r.ts.Client().PostForm(r.ts.URL+"/scan", url.Values{"code_url": {codeURL}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pay on the phone page: HTTP %d", resp.StatusCode)
	}
	eventually(t, "the notification", func() bool { return len(m.received()) == 1 })
	eventually(t, "the delivery recorded", func() bool { o, _ := r.sim.Order("phoneorder1"); return o.Delivered })

	got := m.received()[0]
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	n := openNotification(t, got, wxpaysim.V3SignPubKey, r.clock.Now())
	info, _ := r.sim.Order("phoneorder1")
	for k, want := range map[string]any{
		"event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource", "summary": "支付成功",
	} {
		if n.envelope[k] != want {
			t.Errorf("%s = %v, want %v", k, n.envelope[k], want)
		}
	}
	for k, want := range map[string]any{
		"algorithm": wxpayv3.AlgorithmGCM, "associated_data": "transaction", "original_type": "transaction",
	} {
		if n.resource[k] != want {
			t.Errorf("resource.%s = %v, want %v", k, n.resource[k], want)
		}
	}
	if id, _ := n.envelope["id"].(string); len(id) != 36 || !v3TimeShape.MatchString(n.envelope["create_time"].(string)) {
		t.Errorf("id %v, create_time %v", n.envelope["id"], n.envelope["create_time"])
	}
	amount, _ := n.txn["amount"].(map[string]any)
	payer, _ := n.txn["payer"].(map[string]any)
	for k, want := range map[string]any{
		"appid": wxpaysim.DemoAppID, "mchid": wxpaysim.DemoMchID, "out_trade_no": "phoneorder1",
		"transaction_id": info.TransactionID, "trade_type": "NATIVE", "trade_state": "SUCCESS", "attach": "note=1",
		"bank_type": "OTHERS",
	} {
		if n.txn[k] != want {
			t.Errorf("transaction %s = %v, want %v", k, n.txn[k], want)
		}
	}
	if amount["total"] != 1234.0 || amount["payer_total"] != 1234.0 || amount["currency"] != "CNY" ||
		payer["openid"] == "" || !v3TimeShape.MatchString(n.txn["success_time"].(string)) {
		t.Errorf("transaction = %v", n.txn)
	}
}

// An unacknowledged v3 notification is resent on v2's schedule with the
// same id; in both mode the attempts are signed by turns.
func TestV3NotificationResend(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignBoth)
	m := newV3Merchant(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	r.native(t, nativeBody("resendorder", m.url(), r.clock.Now()))
	if err := r.sim.PayOutTradeNo("resendorder"); err != nil {
		t.Fatal(err)
	}
	r.waitTimer(t, wxpaysim.RetrySchedule()[0])
	r.clock.Advance(wxpaysim.RetrySchedule()[0])
	eventually(t, "the resend", func() bool { o, _ := r.sim.Order("resendorder"); return o.Delivered })

	got := m.received()
	if len(got) != 2 {
		t.Fatalf("received %d notifications, want 2", len(got))
	}
	a := openNotification(t, got[0], wxpaysim.V3SignBoth, r.clock.Now())
	b := openNotification(t, got[1], wxpaysim.V3SignBoth, r.clock.Now())
	if a.envelope["id"] != b.envelope["id"] || a.txn["transaction_id"] != b.txn["transaction_id"] {
		t.Errorf("the resend is another notification: %v / %v", a.envelope["id"], b.envelope["id"])
	}
	if s1, s2 := got[0].header.Get(wxpayv3.HeaderSerial), got[1].header.Get(wxpayv3.HeaderSerial); s1 == s2 {
		t.Errorf("both attempts signed under %s in both mode", s1)
	}
	d := r.deliveriesOf("resendorder")
	if len(d) != 2 || d[0].Accepted || d[0].HTTPStatus != 500 || !d[1].Accepted || d[1].Attempt != 2 {
		t.Errorf("deliveries = %+v", d)
	}
}

// A 200 with any body acknowledges a v3 notification; a 4xx does not.
func TestV3Acknowledgement(t *testing.T) {
	for status, want := range map[int]bool{200: true, 204: true, 202: false, 400: false} {
		r := v3Rig(t, "")
		m := newV3Merchant(t, func(int) int { return status })
		r.native(t, nativeBody("ackorder01", m.url(), r.clock.Now()))
		if err := r.sim.PayOutTradeNo("ackorder01"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the attempt", func() bool { return len(r.deliveriesOf("ackorder01")) == 1 })
		if got := r.deliveriesOf("ackorder01")[0].Accepted; got != want {
			t.Errorf("HTTP %d: accepted = %v, want %v", status, got, want)
		}
	}
}

func TestV3NotificationFaults(t *testing.T) {
	k := testKeys(t)
	for _, c := range []struct {
		fault wxpaysim.FaultKind
		check func(t *testing.T, n v3resp, v *wxpayv3.Verifier)
	}{
		{wxpaysim.FaultBadSign, func(t *testing.T, n v3resp, v *wxpayv3.Verifier) {
			if err := v.Verify(n.header, n.body, t0); !errors.Is(err, wxpayv3.ErrBadSignature) {
				t.Errorf("bad_sign verifies: %v", err)
			}
		}},
		{wxpaysim.FaultBadResource, func(t *testing.T, n v3resp, v *wxpayv3.Verifier) {
			if err := v.Verify(n.header, n.body, t0); err != nil {
				t.Errorf("bad_resource should be signed: %v", err)
			}
			var env struct{ Resource wxpayv3.Resource }
			_ = json.Unmarshal(n.body, &env)
			if _, err := wxpayv3.Decrypt([]byte(k.APIv3Key), env.Resource); !errors.Is(err, wxpayv3.ErrDecrypt) {
				t.Errorf("bad_resource decrypts: %v", err)
			}
		}},
		{wxpaysim.FaultWrongAmount, func(t *testing.T, n v3resp, _ *wxpayv3.Verifier) {
			got := openNotification(t, n, wxpaysim.V3SignPubKey, t0)
			if a := got.txn["amount"].(map[string]any); a["total"] != 1235.0 {
				t.Errorf("wrong_amount: amount %v", a)
			}
		}},
	} {
		t.Run(string(c.fault), func(t *testing.T) {
			r := v3Rig(t, "")
			m := newV3Merchant(t, nil)
			r.native(t, nativeBody("faultnotify", m.url(), r.clock.Now()))
			if err := r.sim.Inject(wxpaysim.Fault{Kind: c.fault}); err != nil {
				t.Fatal(err)
			}
			if err := r.sim.PayOutTradeNo("faultnotify"); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the notification", func() bool { return len(m.received()) == 1 })
			c.check(t, m.received()[0], verifierFor(k, wxpaysim.V3SignPubKey))
		})
	}
}

// A v3 order kept in the StateStore comes back as a v3 order: paid after a
// restart, it is notified in v3.
func TestV3OrderSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	open := func() *rig {
		st, err := wxpaysim.OpenFileState(path)
		if err != nil {
			t.Fatal(err)
		}
		return v3Rig(t, "", func(o *wxpaysim.Options) { o.State = st })
	}
	m := newV3Merchant(t, nil)
	first := open()
	code, _ := first.native(t, nativeBody("restartv3", m.url(), first.clock.Now())).json(t)["code_url"].(string)
	first.sim.Close()

	second := open()
	if got := second.native(t, nativeBody("restartv3", m.url(), first.clock.Now())).json(t)["code_url"]; got != code {
		t.Errorf("re-entry after restart = %v, want %s", got, code)
	}
	if err := second.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification", func() bool { return len(m.received()) == 1 })
	n := openNotification(t, m.received()[0], wxpaysim.V3SignPubKey, second.clock.Now())
	if n.txn["out_trade_no"] != "restartv3" {
		t.Errorf("transaction = %v", n.txn)
	}
	if q, err := second.client(t).OrderQuery(context.Background(), "restartv3"); err != nil || q.TradeState != wxpay.TradeSuccess {
		t.Errorf("v2 query after the v3 payment = %+v, %v", q, err)
	}
}
