package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/internal/testrig"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// The merchant's own apps (SPEC §9) against a fake WeChat: on this branch
// the simulator places NATIVE orders only and has no jscode2session. The
// fake answers APP and JSAPI unifiedorders and plays jscode2session; the
// client parameters are signed by the real wxpay.Client, and the tests
// check them as a client SDK would.

// miniAppID is the rig's mini program, an appid of its own.
const miniAppID = "wxm1n1pr0gram0001"

// miniSecret is the mini program's AppSecret, which must never show.
const miniSecret = "mini-app-secret-never-shown-000"

// fakeDevices is WeChat for APP and JSAPI orders and WeChat's login: the
// rig's client for NATIVE orders (at the simulator) and for the second
// signature.
type fakeDevices struct {
	*wxpay.Client
	mu     sync.Mutex
	placed []wxpay.UnifiedOrderRequest
	paid   map[string]bool   // out_trade_no of placed orders the shopper paid
	codes  map[string]string // wx.login code → openid, each taken once
	logins []string          // "appid secret" of each jscode2session
	now    func() time.Time
}

func (f *fakeDevices) UnifiedOrder(ctx context.Context, r *wxpay.UnifiedOrderRequest) (*wxpay.UnifiedOrderResponse, error) {
	if r.TradeType == "" || r.TradeType == wxpay.TradeNative {
		return f.Client.UnifiedOrder(ctx, r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.placed = append(f.placed, *r)
	if r.TradeType == wxpay.TradeJSAPI && r.OpenID == "" {
		return nil, &wxpay.Error{Op: "unifiedorder", ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "LACK_PARAMS", ErrCodeDes: "缺少参数 openid"}
	}
	return &wxpay.UnifiedOrderResponse{PrepayID: "wx" + r.OutTradeNo}, nil
}

func (f *fakeDevices) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	f.mu.Lock()
	i := slices.IndexFunc(f.placed, func(r wxpay.UnifiedOrderRequest) bool { return r.OutTradeNo == no })
	var r wxpay.UnifiedOrderRequest
	if i >= 0 {
		r = f.placed[i]
	}
	paid := f.paid[no]
	f.mu.Unlock()
	switch {
	case i < 0:
		return f.Client.OrderQuery(ctx, no)
	case !paid:
		return &wxpay.OrderQueryResponse{TradeState: wxpay.TradeNotPay, OutTradeNo: no}, nil
	}
	return &wxpay.OrderQueryResponse{TradeState: wxpay.TradeSuccess, OutTradeNo: no, TransactionID: "4200000001" + no[:min(len(no), 18)],
		TotalFee: r.TotalFee, CashFee: r.TotalFee, TimeEnd: f.now(), OpenID: r.OpenID, BankType: "OTHERS"}, nil
}

// pay marks a placed WeChat order paid, for the next query to find.
func (f *fakeDevices) pay(no string) {
	f.mu.Lock()
	f.paid[no] = true
	f.mu.Unlock()
}

// orders are the APP and JSAPI unifiedorders that reached WeChat.
func (f *fakeDevices) orders() []wxpay.UnifiedOrderRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.placed)
}

func (f *fakeDevices) AuthorizeURL(appID, redirectURI, state string) string {
	return "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + appID
}

func (f *fakeDevices) OAuthOpenID(context.Context, string, string, string) (string, error) {
	return "", fmt.Errorf("oauth: %w", checkout.ErrInvalidCode)
}

// MiniOpenID is jscode2session: each code once, as WeChat takes them.
func (f *fakeDevices) MiniOpenID(_ context.Context, appID, secret, code string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins = append(f.logins, appID+" "+secret)
	openid, ok := f.codes[code]
	if !ok {
		return "", fmt.Errorf("jscode2session: errcode 40029 invalid code: %w", checkout.ErrInvalidCode)
	}
	delete(f.codes, code)
	return openid, nil
}

// devicesOptions adjust a devicesRig.
type devicesOptions struct {
	SignType wxpay.SignType
	// MiniSecret configures the mini program (its appid is miniAppID);
	// "" leaves it off.
	MiniSecret string
	// Log receives the shop's log lines.
	Log *slog.Logger
	// Simulator places every order at the rig's real simulator instead of
	// the fake, with the mini program under the official account's appid
	// (the simulator knows one). For the tests that switch to the
	// simulator once it takes APP and JSAPI (simHasDevices).
	Simulator bool
}

// devicesRig is the rig served by a service whose WeChat is a fakeDevices
// (or the simulator, with opt.Simulator) and whose WeChat login is the
// fake's.
func devicesRig(t *testing.T, opt devicesOptions) (*testrig.Rig, *fakeDevices) {
	t.Helper()
	base := testrig.New(t, testrig.Options{SignType: opt.SignType, Log: opt.Log})
	f := &fakeDevices{Client: base.WeChat, now: base.Clock.Now, paid: map[string]bool{}, codes: map[string]string{}}
	var wx checkout.WeChat = f
	devices := checkout.Devices{AppID: wxpaysim.DemoAppID, MiniAppID: miniAppID, MiniSecret: opt.MiniSecret}
	if opt.Simulator {
		// After the merge: SNS is the wxpay login client at base.SimURL.
		wx, devices.MiniAppID = base.WeChat, ""
	}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) }))
	t.Cleanup(srv.Close)
	svc := checkout.New(checkout.Deps{Store: base.Store, WeChat: wx, SNS: f, Logger: base.Log, Now: base.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: srv.URL + "/wxpay/notify", ServerIP: "127.0.0.1",
			PublicURL: srv.URL, AllowPrivateNotify: true, Devices: devices}})
	hd, err := handlers.New(svc, handlers.Options{Now: base.Clock.Now, Admin: svc, Auth: base.Auth, Gateway: svc}, base.Log)
	if err != nil {
		t.Fatal(err)
	}
	h = hd.Routes()
	r := *base
	r.App, r.Svc = srv, svc
	return &r, f
}

// clientParams decodes the named parameters of a reply as a client SDK
// reads them: each a JSON string, exactly the names want, none empty.
func clientParams(t *testing.T, body, name string, want ...string) wxpay.Params {
	t.Helper()
	var reply map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		t.Fatal(err)
	}
	raw, ok := reply[name]
	if !ok {
		t.Fatalf("no %s in %s", name, body)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("%s is not an object: %s", name, raw)
	}
	p := wxpay.Params{}
	for k, v := range fields {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || s == "" {
			t.Errorf("%s.%s = %s, want a non-empty JSON string", name, k, v)
		}
		p[k] = s
	}
	got := slices.Sorted(maps.Keys(p))
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("%s has %v, want exactly %v", name, got, want)
	}
	return p
}

// checkSigned recomputes a client signature over exactly fields, as the
// WeChat SDK and WeChat itself do, and compares it with sign.
func checkSigned(t *testing.T, fields wxpay.Params, st wxpay.SignType, sign string) {
	t.Helper()
	want, err := wxpay.Sign(fields, wxpaysim.DemoAPIKey, st)
	if err != nil {
		t.Fatal(err)
	}
	if sign != want {
		t.Errorf("sign %s over %v, want %s (%s)", sign, fields, want, st)
	}
}

// checkTimestamp wants the rig's clock in Unix seconds.
func checkTimestamp(t *testing.T, r *testrig.Rig, got string) {
	t.Helper()
	if want := strconv.FormatInt(r.Clock.Now().Unix(), 10); got != want {
		t.Errorf("timestamp %q, want %q", got, want)
	}
}

// checkAppParams checks an APP order's reply as the WeChat SDK would use
// it: the PayReq fields, each a string, the merchant's appid and mch_id,
// the order's prepay_id, and a sign that recomputes over exactly them.
func checkAppParams(t *testing.T, r *testrig.Rig, body string, st wxpay.SignType, prepayID string) wxpay.Params {
	t.Helper()
	if strings.Contains(body, "pay_params") {
		t.Errorf("an APP order answers pay_params: %s", body)
	}
	p := clientParams(t, body, "app_params", "appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign")
	want := map[string]string{"appid": wxpaysim.DemoAppID, "partnerid": wxpaysim.DemoMchID, "package": "Sign=WXPay"}
	if prepayID != "" {
		want["prepayid"] = prepayID
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("app_params.%s = %q, want %q", k, p[k], v)
		}
	}
	checkTimestamp(t, r, p["timestamp"])
	signed := maps.Clone(p)
	delete(signed, "sign")
	checkSigned(t, signed, st, p["sign"])
	return p
}

// checkPayParams checks a mini-program order's reply as wx.requestPayment
// would use it: exactly its five fields, each a string, package naming
// prepayID, and a paySign that recomputes over them and appID (the mini
// program's, which the client knows and the reply leaves out).
func checkPayParams(t *testing.T, r *testrig.Rig, body string, st wxpay.SignType, appID, prepayID string) wxpay.Params {
	t.Helper()
	if strings.Contains(body, "app_params") || strings.Contains(body, "appId") {
		t.Errorf("a JSAPI order answers app_params or appId: %s", body)
	}
	p := clientParams(t, body, "pay_params", "timeStamp", "nonceStr", "package", "signType", "paySign")
	if prepayID != "" && p["package"] != "prepay_id="+prepayID || !strings.HasPrefix(p["package"], "prepay_id=") {
		t.Errorf("pay_params.package %q, want prepay_id=%s", p["package"], prepayID)
	}
	if p["signType"] != string(st) {
		t.Errorf("pay_params.signType %q, want %s", p["signType"], st)
	}
	checkTimestamp(t, r, p["timeStamp"])
	signed := maps.Clone(p)
	delete(signed, "paySign")
	signed["appId"] = appID
	checkSigned(t, signed, st, p["paySign"])
	return p
}

// decodeOpenID is the openid of a session reply, which must be exactly
// {"openid": "…"}: the session_key stays on the server.
func decodeOpenID(t *testing.T, body string) string {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != 1 {
		t.Fatalf("session reply %s (%v), want exactly {\"openid\"}", body, err)
	}
	openid, ok := got["openid"].(string)
	if !ok || openid == "" {
		t.Fatalf("session reply %s: no openid", body)
	}
	return openid
}
