package wxpaysim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

func TestV3NativeQueryClose(t *testing.T) {
	r := v3Rig(t, "")
	now := r.clock.Now()
	order := nativeBody("v3order0001", "http://127.0.0.1:1/wxpay/v3/notify", now)

	first := r.native(t, order)
	codeURL, _ := first.json(t)["code_url"].(string)
	if first.status != http.StatusOK || !strings.HasPrefix(codeURL, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("native = %d %s", first.status, first.body)
	}
	if again := r.native(t, order); again.status != http.StatusOK || again.json(t)["code_url"] != codeURL {
		t.Errorf("identical re-entry = %d %s, want the same code_url %s", again.status, again.body, codeURL)
	}
	changed := nativeBody("v3order0001", "http://127.0.0.1:1/wxpay/v3/notify", now)
	changed["amount"] = map[string]any{"total": 1}
	if got := r.native(t, changed); got.status != http.StatusBadRequest || got.code(t) != "INVALID_REQUEST" {
		t.Errorf("re-entry with another amount = %d %s, want 400 INVALID_REQUEST", got.status, got.body)
	}

	q := r.query(t, "v3order0001").json(t)
	amount, _ := q["amount"].(map[string]any)
	if q["trade_state"] != "NOTPAY" || q["out_trade_no"] != "v3order0001" || amount["total"] != 1234.0 ||
		q["mchid"] != wxpaysim.DemoMchID || q["appid"] != wxpaysim.DemoAppID || q["transaction_id"] != nil {
		t.Errorf("query before payment = %v", q)
	}

	if err := r.sim.Pay(codeURL); err != nil {
		t.Fatal(err)
	}
	info, _ := r.sim.Order("v3order0001")
	q = r.query(t, "v3order0001").json(t)
	payer, _ := q["payer"].(map[string]any)
	amount, _ = q["amount"].(map[string]any)
	wantTime := t0.In(wxpay.Beijing()).Format("2006-01-02T15:04:05+08:00")
	if q["trade_state"] != "SUCCESS" || q["transaction_id"] != info.TransactionID || q["success_time"] != wantTime ||
		q["trade_type"] != "NATIVE" || q["attach"] != "note=1" || payer["openid"] == "" || amount["payer_total"] != 1234.0 {
		t.Errorf("query after payment = %v (success_time want %s, transaction %s)", q, wantTime, info.TransactionID)
	}
	if info.APIVersion != "v3" {
		t.Errorf("api_version = %q", info.APIVersion)
	}
	if got := r.native(t, order); got.code(t) != "ORDERPAID" || got.status != http.StatusBadRequest {
		t.Errorf("native of a paid order = %d %s", got.status, got.body)
	}
	if got := r.closeV3(t, "v3order0001"); got.code(t) != "ORDERPAID" || got.status != http.StatusBadRequest {
		t.Errorf("close of a paid order = %d %s", got.status, got.body)
	}

	// No minimum age in v3; a second close is answered like the first.
	r.native(t, nativeBody("v3order0002", "http://127.0.0.1:1/n", now))
	for i := range 2 {
		if got := r.closeV3(t, "v3order0002"); got.status != http.StatusNoContent || len(got.body) != 0 {
			t.Errorf("close #%d = %d %q, want 204 and no body", i+1, got.status, got.body)
		}
	}
	if st := r.query(t, "v3order0002").json(t)["trade_state"]; st != "CLOSED" {
		t.Errorf("closed order's trade_state = %v", st)
	}
	if got := r.native(t, nativeBody("v3order0002", "http://127.0.0.1:1/n", now)); got.code(t) != "ORDER_CLOSED" {
		t.Errorf("native of a closed order = %d %s", got.status, got.body)
	}
	for name, got := range map[string]v3resp{"query": r.query(t, "nosuchorder"), "close": r.closeV3(t, "nosuchorder")} {
		if got.status != http.StatusNotFound || got.code(t) != "ORDER_NOT_EXIST" {
			t.Errorf("%s of an unknown order = %d %s", name, got.status, got.body)
		}
	}
}

// The two APIs see one set of orders, as at WeChat.
func TestV3AndV2ShareOrders(t *testing.T) {
	r := v3Rig(t, "")
	r.native(t, nativeBody("sharedorder1", "http://127.0.0.1:1/n", r.clock.Now()))
	q, err := r.client(t).OrderQuery(context.Background(), "sharedorder1")
	if err != nil || q.TradeState != wxpay.TradeNotPay || q.OutTradeNo != "sharedorder1" {
		t.Fatalf("v2 orderquery of a v3 order = %+v, %v", q, err)
	}
	place(t, r.client(t), orderReq("sharedorder2", "http://127.0.0.1:1/n"))
	if got := r.query(t, "sharedorder2").json(t); got["trade_state"] != "NOTPAY" || got["amount"].(map[string]any)["total"] != 1234.0 {
		t.Errorf("v3 query of a v2 order = %v", got)
	}
	if got := r.native(t, nativeBody("sharedorder2", "http://127.0.0.1:1/n", r.clock.Now())); got.code(t) != "INVALID_REQUEST" {
		t.Errorf("v3 native reusing a v2 out_trade_no = %d %s", got.status, got.body)
	}
}

func TestV3SignErrors(t *testing.T) {
	r := v3Rig(t, "")
	k := testKeys(t)
	body := mustJSON(t, nativeBody("signorder01", "http://127.0.0.1:1/n", r.clock.Now()))
	const path = "/v3/pay/transactions/native"
	for name, q := range map[string]v3req{
		"no Authorization":           {noAuth: true},
		"signed by another key":      {key: k.PlatformKey},
		"another serial":             {serial: k.PlatformSerial()},
		"another mchid":              {mchID: "1900000999"},
		"six minutes old":            {at: r.clock.Now().Add(-6 * time.Minute)},
		"six minutes ahead":          {at: r.clock.Now().Add(6 * time.Minute)},
		"another path signed":        {signedPath: "/v3/pay/transactions/jsapi"},
		"body changed after signing": {signedBody: []byte(strings.Replace(string(body), "1234", "1", 1))},
	} {
		t.Run(name, func(t *testing.T) {
			q.method, q.path, q.body = http.MethodPost, path, body
			got := r.do(t, q)
			if got.status != http.StatusUnauthorized || got.code(t) != "SIGN_ERROR" {
				t.Errorf("= %d %s, want 401 SIGN_ERROR", got.status, got.body)
			}
		})
	}
	if _, ok := r.sim.Order("signorder01"); ok {
		t.Error("a refused request created an order")
	}
	// The serial is hex compared in any case, and four minutes of skew pass.
	ok := r.do(t, v3req{method: http.MethodPost, path: path, body: body, serial: strings.ToLower(k.MchSerial()),
		at: r.clock.Now().Add(-4 * time.Minute)})
	if ok.status != http.StatusOK {
		t.Errorf("lower-case serial, 4 minutes old = %d %s", ok.status, ok.body)
	}
	// A GET signs an empty body and the query as sent.
	path2 := "/v3/pay/transactions/out-trade-no/signorder01?mchid=" + wxpaysim.DemoMchID
	if got := r.do(t, v3req{method: http.MethodGet, path: path2, signedPath: "/v3/pay/transactions/out-trade-no/signorder01"}); got.code(t) != "SIGN_ERROR" {
		t.Errorf("query signed without its query string = %d %s", got.status, got.body)
	}
}

func TestV3ParamErrors(t *testing.T) {
	r := v3Rig(t, "", func(o *wxpaysim.Options) { o.NotifyURLs = []string{"http://127.0.0.1:1/n"} })
	now := r.clock.Now()
	bj := func(d time.Duration, layout string) string { return now.Add(d).In(wxpay.Beijing()).Format(layout) }
	cases := []struct {
		name   string
		change func(map[string]any)
		code   string
	}{
		{"no appid", func(b map[string]any) { delete(b, "appid") }, "PARAM_ERROR"},
		{"no description", func(b map[string]any) { b["description"] = "" }, "PARAM_ERROR"},
		{"no notify_url", func(b map[string]any) { delete(b, "notify_url") }, "PARAM_ERROR"},
		{"no amount", func(b map[string]any) { delete(b, "amount") }, "PARAM_ERROR"},
		{"no amount.total", func(b map[string]any) { b["amount"] = map[string]any{"currency": "CNY"} }, "PARAM_ERROR"},
		{"amount 0", func(b map[string]any) { b["amount"] = map[string]any{"total": 0} }, "PARAM_ERROR"},
		{"amount in yuan", func(b map[string]any) { b["amount"] = map[string]any{"total": 0.01} }, "PARAM_ERROR"},
		{"amount as a string", func(b map[string]any) { b["amount"] = map[string]any{"total": "1"} }, "PARAM_ERROR"},
		{"currency USD", func(b map[string]any) { b["amount"] = map[string]any{"total": 1, "currency": "USD"} }, "PARAM_ERROR"},
		{"out_trade_no too short", func(b map[string]any) { b["out_trade_no"] = "abc" }, "PARAM_ERROR"},
		{"description over 127 bytes", func(b map[string]any) { b["description"] = strings.Repeat("商", 43) }, "PARAM_ERROR"},
		{"notify_url with a query", func(b map[string]any) { b["notify_url"] = "http://127.0.0.1:1/n?x=1" }, "PARAM_ERROR"},
		{"notify_url not allowed", func(b map[string]any) { b["notify_url"] = "http://169.254.169.254/n" }, "PARAM_ERROR"},
		{"mchid of another merchant", func(b map[string]any) { b["mchid"] = "1900000999" }, "PARAM_ERROR"},
		{"appid of another account", func(b map[string]any) { b["appid"] = "wx0000000000000001" }, "APPID_MCHID_NOT_MATCH"},
		{"time_expire as v2 writes it", func(b map[string]any) { b["time_expire"] = bj(time.Hour, "20060102150405") }, "PARAM_ERROR"},
		{"time_expire in UTC with Z", func(b map[string]any) { b["time_expire"] = now.Add(time.Hour).UTC().Format(time.RFC3339) }, "PARAM_ERROR"},
		{"time_expire with a fraction", func(b map[string]any) { b["time_expire"] = bj(time.Hour, "2006-01-02T15:04:05.000-07:00") }, "PARAM_ERROR"},
		{"time_expire with a space", func(b map[string]any) { b["time_expire"] = bj(time.Hour, "2006-01-02 15:04:05-07:00") }, "PARAM_ERROR"},
		{"time_expire 59 s ahead", func(b map[string]any) { b["time_expire"] = bj(59*time.Second, time.RFC3339) }, "PARAM_ERROR"},
		{"time_expire past", func(b map[string]any) { b["time_expire"] = bj(-time.Hour, time.RFC3339) }, "PARAM_ERROR"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			no := "paramorder" + string(rune('a'+i))
			b := nativeBody(no, "http://127.0.0.1:1/n", now)
			c.change(b)
			got := r.native(t, b)
			if got.status != http.StatusBadRequest || got.code(t) != c.code {
				t.Errorf("= %d %s, want 400 %s", got.status, got.body, c.code)
			}
			if msg, _ := got.json(t)["message"].(string); msg == "" {
				t.Error("no message")
			}
			if _, ok := r.sim.Order(no); ok {
				t.Error("the refused order exists")
			}
		})
	}
	for name, body := range map[string]string{"not JSON": "appid=1", "two objects": `{"appid":"x"}{}`, "empty": ""} {
		got := r.do(t, v3req{method: http.MethodPost, path: "/v3/pay/transactions/native", body: []byte(body)})
		if got.code(t) != "PARAM_ERROR" {
			t.Errorf("%s: = %d %s", name, got.status, got.body)
		}
	}
	// A minute and a second ahead, in another zone: the same instant rules.
	ok := nativeBody("paramorderok", "http://127.0.0.1:1/n", now)
	ok["time_expire"] = now.Add(61 * time.Second).In(time.FixedZone("", -5*3600)).Format(time.RFC3339)
	if got := r.native(t, ok); got.status != http.StatusOK {
		t.Errorf("time_expire 61 s ahead at -05:00 = %d %s", got.status, got.body)
	}
	if got := r.do(t, v3req{method: http.MethodGet, path: "/v3/pay/transactions/out-trade-no/paramorderok"}); got.code(t) != "PARAM_ERROR" {
		t.Errorf("query without mchid = %d %s", got.status, got.body)
	}
}

func TestV3ReplySignModes(t *testing.T) {
	k := testKeys(t)
	for _, mode := range []string{wxpaysim.V3SignPubKey, wxpaysim.V3SignCert} {
		t.Run(mode, func(t *testing.T) {
			r := v3Rig(t, mode)
			for _, resp := range []v3resp{r.query(t, "nosuchorder"), r.native(t, nativeBody("modeorder1", "http://127.0.0.1:1/n", r.clock.Now()))} {
				if err := verifierFor(k, mode).Verify(resp.header, resp.body, r.clock.Now()); err != nil {
					t.Errorf("reply %d does not verify with the %s key alone: %v", resp.status, mode, err)
				}
			}
		})
	}
	t.Run("both", func(t *testing.T) {
		r := v3Rig(t, wxpaysim.V3SignBoth)
		onlyPubKey := verifierFor(k, wxpaysim.V3SignPubKey)
		var serials []string
		for range 4 {
			resp := r.query(t, "nosuchorder") // verified with both keys
			serials = append(serials, resp.header.Get(wxpayv3.HeaderSerial))
			err := onlyPubKey.Verify(resp.header, resp.body, r.clock.Now())
			if pub := resp.header.Get(wxpayv3.HeaderSerial) == k.PublicKeyID; pub != (err == nil) {
				t.Errorf("serial %s: verifier with the public key only says %v", resp.header.Get(wxpayv3.HeaderSerial), err)
			} else if !pub && !errors.Is(err, wxpayv3.ErrUnknownSerial) {
				t.Errorf("platform-signed reply against the public key only: %v", err)
			}
		}
		want := []string{k.PublicKeyID, k.PlatformSerial(), k.PublicKeyID, k.PlatformSerial()}
		if strings.Join(serials, ",") != strings.Join(want, ",") {
			t.Errorf("serials = %v, want alternating %v", serials, want)
		}
	})
}

func TestV3SystemErrorFault(t *testing.T) {
	r := v3Rig(t, "")
	if err := r.sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "unifiedorder"}); err != nil {
		t.Fatal(err)
	}
	b := nativeBody("faultorder1", "http://127.0.0.1:1/n", r.clock.Now())
	if got := r.native(t, b); got.status != http.StatusInternalServerError || got.code(t) != "SYSTEM_ERROR" {
		t.Fatalf("with the fault = %d %s", got.status, got.body)
	}
	if _, ok := r.sim.Order("faultorder1"); ok {
		t.Fatal("SYSTEM_ERROR took effect")
	}
	if got := r.native(t, b); got.status != http.StatusOK {
		t.Errorf("identical retry = %d %s", got.status, got.body)
	}
}

func TestV3WithoutKeys(t *testing.T) {
	r := manualRig(t)
	resp := r.doRaw(t, v3req{method: http.MethodPost, path: "/v3/pay/transactions/native", body: []byte(`{}`)})
	if resp.status != http.StatusNotFound {
		t.Errorf("v3 without keys = %d %s", resp.status, resp.body)
	}
}

var v3TimeShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$`)

// Mounted under /sim, a request signed over the path as sent or over the
// path below the mount point is accepted; another path is not.
func TestV3MountedPathSigned(t *testing.T) {
	clock := wxpaysim.NewManualClock(t0)
	sim := wxpaysim.New(wxpaysim.Options{Clock: clock, V3Keys: testKeys(t), BasePath: "/sim"})
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", sim))
	r := &rig{sim: sim, ts: httptest.NewServer(mux), clock: clock}
	t.Cleanup(func() { sim.Close(); r.ts.Close() })
	const path = "/sim/v3/pay/transactions/out-trade-no/mountorder?mchid=" + wxpaysim.DemoMchID
	for signed, want := range map[string]string{
		path: "ORDER_NOT_EXIST", strings.TrimPrefix(path, "/sim"): "ORDER_NOT_EXIST",
		"/v3/pay/transactions/out-trade-no/other?mchid=" + wxpaysim.DemoMchID: "SIGN_ERROR",
	} {
		if got := r.do(t, v3req{method: http.MethodGet, path: path, signedPath: signed}); got.code(t) != want {
			t.Errorf("signed over %s: %d %s, want %s", signed, got.status, got.body, want)
		}
	}
}
