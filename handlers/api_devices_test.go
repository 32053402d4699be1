package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

var signTypes = []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256}

// An APP order answers the WeChat SDK's PayReq, signed afresh over exactly
// its fields; a repeat answers the same prepay_id, signed again.
func TestAPIAppOrderAnswersSignedAppParams(t *testing.T) {
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			r, f := devicesRig(t, devicesOptions{SignType: st, MiniSecret: miniSecret})
			app := r.MerchantApp(t, "app")
			a := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("APP-1", 600, `,"trade_type":"APP"`))
			o := a.order(t, http.StatusCreated)
			if o.TradeType != wxpay.TradeAPP || o.Status != "NOTPAY" || o.Amount != 600 {
				t.Errorf("order %+v", o)
			}
			p := checkAppParams(t, r, a.Body, st, "wx"+o.TradeNo)
			placed := f.orders()
			if len(placed) != 1 || placed[0].TradeType != wxpay.TradeAPP || placed[0].OutTradeNo != o.TradeNo ||
				placed[0].OpenID != "" || placed[0].ProductID != "" || placed[0].TotalFee != 600 {
				t.Fatalf("unifiedorders %+v, want one APP order of %s", placed, o.TradeNo)
			}

			again := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("APP-1", 600, `,"trade_type":"APP"`))
			if got := again.order(t, http.StatusOK); got.TradeNo != o.TradeNo {
				t.Errorf("repeat answered order %s, want %s", got.TradeNo, o.TradeNo)
			}
			q := checkAppParams(t, r, again.Body, st, "wx"+o.TradeNo)
			if q["noncestr"] == p["noncestr"] {
				t.Errorf("repeat's app_params %v: want the same prepayid with a fresh nonce", q)
			}
			if n := len(f.orders()); n != 1 {
				t.Errorf("the repeat placed another WeChat order (%d in all)", n)
			}
		})
	}
}

// A mini-program order answers wx.requestPayment's five fields, signed
// over them and the mini program's appid, which the client adds itself.
func TestAPIMiniProgramOrderAnswersSignedPayParams(t *testing.T) {
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			r, f := devicesRig(t, devicesOptions{SignType: st, MiniSecret: miniSecret})
			app := r.MerchantApp(t, "mini")
			const openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
			a := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("MP-1", 1990, `,"trade_type":"JSAPI","openid":"`+openid+`"`))
			o := a.order(t, http.StatusCreated)
			if o.TradeType != wxpay.TradeJSAPI || o.Status != "NOTPAY" {
				t.Errorf("order %+v", o)
			}
			checkPayParams(t, r, a.Body, st, miniAppID, "wx"+o.TradeNo)
			placed := f.orders()
			if len(placed) != 1 || placed[0].TradeType != wxpay.TradeJSAPI || placed[0].OpenID != openid ||
				placed[0].AppID != miniAppID || placed[0].OutTradeNo != o.TradeNo {
				t.Fatalf("unifiedorders %+v, want one JSAPI order of %s for %s under the mini program", placed, o.TradeNo, openid)
			}

			// Another payer repeating the order gets a WeChat order of
			// their own.
			const other = "oUpF8uN95-Ptaags6E_roPHg7AG0"
			again := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("MP-1", 1990, `,"trade_type":"JSAPI","openid":"`+other+`"`))
			again.order(t, http.StatusOK)
			placed = f.orders()
			if len(placed) != 2 || placed[1].OpenID != other || placed[1].AppID != miniAppID {
				t.Fatalf("repeat by another payer: unifiedorders %+v", placed)
			}
			checkPayParams(t, r, again.Body, st, miniAppID, "wx"+placed[1].OutTradeNo)
		})
	}
}

// A repeat of an order paid meanwhile answers the paid order and nothing
// to pay it with.
func TestAPIAppOrderRepeatAfterPayment(t *testing.T) {
	r, f := devicesRig(t, devicesOptions{MiniSecret: miniSecret})
	app := r.MerchantApp(t, "app")
	body := createBody("APP-PAID", 100, `,"trade_type":"APP"`)
	o := apiCall(t, r, app, "POST", "/api/v1/orders", body).order(t, http.StatusCreated)
	f.pay(o.TradeNo)
	if err := r.Svc.Sync(context.Background(), o.TradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	a := apiCall(t, r, app, "POST", "/api/v1/orders", body)
	if got := a.order(t, http.StatusOK); got.Status != "PAID" {
		t.Fatalf("status %s, want PAID", got.Status)
	}
	if strings.Contains(a.Body, "app_params") {
		t.Errorf("a paid order answers app_params: %s", a.Body)
	}
	if n := len(f.orders()); n != 1 {
		t.Errorf("%d WeChat orders, want 1", n)
	}
}

// Refusals create nothing and reach no WeChat.
func TestAPIDeviceOrderRefusals(t *testing.T) {
	r, f := devicesRig(t, devicesOptions{MiniSecret: miniSecret})
	app := r.MerchantApp(t, "app")
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"JSAPI without openid", createBody("R1", 100, `,"trade_type":"JSAPI"`), 400, "missing_openid"},
		{"JSAPI with an empty openid", createBody("R1", 100, `,"trade_type":"JSAPI","openid":""`), 400, "missing_openid"},
		{"MWEB", createBody("R1", 100, `,"trade_type":"MWEB"`), 400, "invalid_trade_type"},
		{"lower case", createBody("R1", 100, `,"trade_type":"app"`), 400, "invalid_trade_type"},
		{"H5", createBody("R1", 100, `,"trade_type":"H5"`), 400, "invalid_trade_type"},
		{"MWEB with an openid", createBody("R1", 100, `,"trade_type":"MWEB","openid":"oX"`), 400, "invalid_trade_type"},
		{"trade_type a number", createBody("R1", 100, `,"trade_type":1`), 400, "invalid_type"},
		{"openid a number", createBody("R1", 100, `,"trade_type":"JSAPI","openid":7`), 400, "invalid_type"},
		{"openid with APP", createBody("R1", 100, `,"trade_type":"APP","openid":"oX"`), 400, "invalid_openid"},
		{"openid with NATIVE default", createBody("R1", 100, `,"openid":"oX"`), 400, "invalid_openid"},
		{"openid with a space", createBody("R1", 100, `,"trade_type":"JSAPI","openid":"o X"`), 400, "invalid_openid"},
		{"openid too long", createBody("R1", 100, `,"trade_type":"JSAPI","openid":"`+strings.Repeat("o", 129)+`"`), 400, "invalid_openid"},
		{"unknown field", createBody("R1", 100, `,"trade_type":"APP","appid":"wx1"`), 400, "unknown_field"},
		{"TradeType spelled otherwise", createBody("R1", 100, `,"tradeType":"APP"`), 400, "unknown_field"},
		{"trade_type twice", createBody("R1", 100, `,"trade_type":"APP","trade_type":"JSAPI"`), 400, "invalid_json"},
		{"too large", createBody("R1", 100, `,"trade_type":"APP","param":"`+strings.Repeat("x", 70<<10)+`"`), 413, "body_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apiCall(t, r, app, "POST", "/api/v1/orders", tc.body).wantErr(t, tc.status, tc.code)
		})
	}
	if n := r.CountRows(t, "orders"); n != 0 {
		t.Errorf("refused requests created %d orders", n)
	}
	if n := len(f.orders()) + len(r.Sim.Orders()); n != 0 {
		t.Errorf("refused requests placed %d WeChat orders", n)
	}
	_, msg := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R1", 100, `,"trade_type":"JSAPI"`),
		"Accept-Language", "zh-CN").apiErr(t)
	if !strings.Contains(msg, "openid") || !strings.ContainsRune(msg, '需') {
		t.Errorf("Chinese missing_openid message %q", msg)
	}
	_, msg = apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R1", 100, `,"trade_type":"MWEB"`)).apiErr(t)
	if msg != "trade_type must be NATIVE, APP or JSAPI (H5 is the payment page's)" {
		t.Errorf("invalid_trade_type message %q", msg)
	}
}

// NATIVE, named or not, is the order of old: a code_url and no client
// parameters.
func TestAPINativeOrderNamedOrNot(t *testing.T) {
	r, _ := devicesRig(t, devicesOptions{MiniSecret: miniSecret})
	app := r.MerchantApp(t, "app")
	for i, extra := range []string{"", `,"trade_type":"NATIVE"`} {
		a := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("N"+string(rune('0'+i)), 100, extra))
		o := a.order(t, http.StatusCreated)
		if o.TradeType != wxpay.TradeNative || !strings.HasPrefix(o.CodeURL, "weixin://") ||
			strings.Contains(a.Body, "app_params") || strings.Contains(a.Body, "pay_params") {
			t.Errorf("%q: %s", extra, a.Body)
		}
	}
}

// POST /api/v1/miniprogram/session turns a wx.login code into the openid,
// once; the AppSecret and session_key never show.
func TestAPIMiniProgramSession(t *testing.T) {
	r, f := devicesRig(t, devicesOptions{MiniSecret: miniSecret})
	app := r.MerchantApp(t, "mini")
	f.codes["081Kq4Ga1LNl7D0R1ZFa1mXJ2z0Kq4GM"] = "oMini_openid_0000000000001"
	a := apiCall(t, r, app, "POST", "/api/v1/miniprogram/session", `{"code":"081Kq4Ga1LNl7D0R1ZFa1mXJ2z0Kq4GM"}`)
	if a.Status != http.StatusOK {
		t.Fatalf("status %d: %s", a.Status, a.Body)
	}
	if got := decodeOpenID(t, a.Body); got != "oMini_openid_0000000000001" {
		t.Errorf("openid %q", got)
	}
	if cc := a.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if len(f.logins) != 1 || f.logins[0] != miniAppID+" "+miniSecret {
		t.Errorf("jscode2session called as %q, want the mini program's appid and secret", f.logins)
	}
	// The same code again is refused: WeChat takes each once.
	apiCall(t, r, app, "POST", "/api/v1/miniprogram/session", `{"code":"081Kq4Ga1LNl7D0R1ZFa1mXJ2z0Kq4GM"}`).
		wantErr(t, http.StatusBadRequest, "invalid_code")
	apiCall(t, r, app, "POST", "/api/v1/miniprogram/session", `{"code":"never-issued"}`).wantErr(t, http.StatusBadRequest, "invalid_code")
	if strings.Contains(a.Body, miniSecret) {
		t.Error("the reply shows the AppSecret")
	}
}

func TestAPIMiniProgramSessionRefusals(t *testing.T) {
	r, f := devicesRig(t, devicesOptions{MiniSecret: miniSecret})
	r2, _ := devicesRig(t, devicesOptions{})
	app := r.MerchantApp(t, "mini")
	const path = "/api/v1/miniprogram/session"
	cases := []struct {
		name, body string
		header     []string
		status     int
		code       string
	}{
		{"empty code", `{"code":""}`, nil, 400, "missing_field"},
		{"no code", `{}`, nil, 400, "missing_field"},
		{"code with a space", `{"code":"ab cd"}`, nil, 400, "invalid_code"},
		{"code not ASCII", `{"code":"码"}`, nil, 400, "invalid_code"},
		{"code too long", `{"code":"` + strings.Repeat("c", 129) + `"}`, nil, 400, "invalid_code"},
		{"code a number", `{"code":123}`, nil, 400, "invalid_type"},
		{"unknown field", `{"code":"abc","appid":"wx1"}`, nil, 400, "unknown_field"},
		{"not JSON", `code=abc`, nil, 400, "invalid_json"},
		{"two objects", `{"code":"a"}{"code":"b"}`, nil, 400, "invalid_json"},
		{"form content type", `{"code":"abc"}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"too large", `{"code":"` + strings.Repeat("c", 70<<10) + `"}`, nil, 413, "body_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apiCall(t, r, app, "POST", path, tc.body, tc.header...).wantErr(t, tc.status, tc.code)
		})
	}
	if len(f.logins) != 0 {
		t.Errorf("refused requests reached jscode2session %d times", len(f.logins))
	}
	apiCall(t, r, nil, "POST", path, `{"code":"abc"}`).wantErr(t, http.StatusUnauthorized, "unauthorized")
	apiCall(t, r, app, "GET", path, "").wantErr(t, http.StatusMethodNotAllowed, "method_not_allowed")

	// Without the mini program's AppSecret there is no jscode2session.
	other := r2.MerchantApp(t, "mini")
	a := apiCall(t, r2, other, "POST", path, `{"code":"abc"}`)
	a.wantErr(t, http.StatusConflict, "not_configured")
	if _, msg := a.apiErr(t); !strings.Contains(msg, "WXPAY_MINIPROGRAM_APPSECRET") {
		t.Errorf("not_configured message %q", msg)
	}
}

// Neither the AppSecret nor the API key reaches a log line, whatever the
// outcome.
func TestAPIMiniProgramSecretsStayOutOfLogs(t *testing.T) {
	var logs logBuffer
	r, f := devicesRig(t, devicesOptions{MiniSecret: miniSecret, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	app := r.MerchantApp(t, "mini")
	f.codes["good"] = "oMini"
	for _, code := range []string{"good", "good", "bad"} {
		apiCall(t, r, app, "POST", "/api/v1/miniprogram/session", `{"code":"`+code+`"}`)
	}
	apiCall(t, r, app, "POST", "/api/v1/orders", createBody("LOG-1", 100, `,"trade_type":"JSAPI","openid":"oMini"`)).order(t, http.StatusCreated)
	out := logs.String()
	if !strings.Contains(out, "invalid_code") && !strings.Contains(out, "invalid code") {
		t.Errorf("the refused code was not logged:\n%s", out)
	}
	for _, secret := range []string{miniSecret, wxpaysim.DemoAPIKey} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret was logged:\n%s", out)
		}
	}
}
