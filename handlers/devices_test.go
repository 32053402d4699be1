package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// Browsers by User-Agent.
const (
	uaPC     = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaWeChat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"
	uaPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	uaDroid  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)

// publicURL is the site's PUBLIC_URL in these tests: not the test server's
// address, so that the links built on it can be told from the Host.
const publicURL = "https://shop.example.com"

// phoneWx is WeChat for the ways beyond the QR: the simulator on this
// branch places NATIVE orders only, so the rig's real client keeps those
// (and signs the client parameters), while JSAPI and MWEB orders are
// answered, queried and paid here.
type phoneWx struct {
	*wxpay.Client
	mu     sync.Mutex
	placed []wxpay.UnifiedOrderRequest
	fee    map[string]int64
	paid   map[string]string
}

func (f *phoneWx) UnifiedOrder(ctx context.Context, r *wxpay.UnifiedOrderRequest) (*wxpay.UnifiedOrderResponse, error) {
	if r.TradeType == "" || r.TradeType == wxpay.TradeNative {
		return f.Client.UnifiedOrder(ctx, r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.placed = append(f.placed, *r)
	f.fee[r.OutTradeNo] = r.TotalFee
	resp := &wxpay.UnifiedOrderResponse{PrepayID: "wx" + r.OutTradeNo}
	if r.TradeType == wxpay.TradeMWEB {
		resp.MwebURL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + resp.PrepayID + "&package=1037687096"
	}
	return resp, nil
}

func (f *phoneWx) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	f.mu.Lock()
	fee, mine := f.fee[no]
	tid, paid := f.paid[no]
	f.mu.Unlock()
	switch {
	case !mine:
		return f.Client.OrderQuery(ctx, no)
	case !paid:
		return &wxpay.OrderQueryResponse{TradeState: string(models.TradeNotPay), OutTradeNo: no}, nil
	}
	return &wxpay.OrderQueryResponse{TradeState: string(models.TradeSuccess), OutTradeNo: no, TransactionID: tid,
		TotalFee: fee, CashFee: fee, TimeEnd: time.Date(2026, 11, 22, 18, 3, 0, 0, wxpay.Beijing()), BankType: "CMC"}, nil
}

func (f *phoneWx) pay(no, transactionID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paid[no] = transactionID
}

func (f *phoneWx) calls() []wxpay.UnifiedOrderRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wxpay.UnifiedOrderRequest(nil), f.placed...)
}

// phoneSNS is WeChat's login: a code "code-<openid>" names that openid,
// once; anything else is a code WeChat refuses.
type phoneSNS struct {
	mu   sync.Mutex
	used map[string]bool
}

func (s *phoneSNS) AuthorizeURL(appID, redirectURI, state string) string {
	q := url.Values{"appid": {appID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {state}}
	return "https://open.weixin.qq.com/connect/oauth2/authorize?" + q.Encode() + "#wechat_redirect"
}

func (s *phoneSNS) OAuthOpenID(_ context.Context, appID, secret, code string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	openid, ok := strings.CutPrefix(code, "code-")
	if !ok || s.used[code] || appID != wxpaysim.DemoAppID || secret == "" {
		return "", fmt.Errorf("errcode=40029 invalid code: %w", checkout.ErrInvalidCode)
	}
	s.used[code] = true
	return openid, nil
}

func (s *phoneSNS) MiniOpenID(ctx context.Context, appID, secret, code string) (string, error) {
	return s.OAuthOpenID(ctx, appID, secret, code)
}

// phoneRig is the rig served by a service with the given ways (AppID is
// the simulator's), its WeChat the returned fake; withDevices false leaves
// handlers.Options.Devices nil. r.App, r.Svc and the handler are that
// service's.
func phoneRig(t *testing.T, dev checkout.Devices, withDevices bool) (*testrig.Rig, *phoneWx) {
	t.Helper()
	base := testrig.New(t, testrig.Options{})
	f := &phoneWx{Client: base.WeChat, fee: map[string]int64{}, paid: map[string]string{}}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) }))
	t.Cleanup(srv.Close)
	dev.AppID = wxpaysim.DemoAppID
	svc := checkout.New(checkout.Deps{Store: base.Store, WeChat: f, SNS: &phoneSNS{used: map[string]bool{}}, Logger: base.Log,
		Now: base.Clock.Now, Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: srv.URL + "/wxpay/notify",
			ServerIP: "127.0.0.1", PublicURL: publicURL, AllowPrivateNotify: true, Devices: dev}})
	opt := handlers.Options{Now: base.Clock.Now, ScanURL: "/sim/scan", PublicURL: publicURL,
		PageSecret: []byte("0123456789abcdef0123456789abcdef"), JSBridgeURL: "/sim/jsbridge.js"}
	if withDevices {
		opt.Devices = svc
	}
	hd, err := handlers.New(svc, opt, base.Log)
	if err != nil {
		t.Fatal(err)
	}
	h = hd.Routes()
	r := *base
	r.App, r.Svc = srv, svc
	return &r, f
}

// allWays turns on JSAPI and H5.
var allWays = checkout.Devices{MPSecret: "mp-app-secret", H5: true}

// visit GETs a page with a User-Agent (and extra headers as name, value).
func visit(t *testing.T, b *http.Client, u, ua string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// page GETs a page that must answer 200 and returns its body, checking it
// never tells anyone to long-press the QR.
func page(t *testing.T, b *http.Client, u, ua string) string {
	t.Helper()
	resp := visit(t, b, u, ua)
	body := testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (%.40s…) = %d, want 200", u, ua, resp.StatusCode)
	}
	noLongPress(t, u, body)
	return body
}

func noLongPress(t *testing.T, what, body string) {
	t.Helper()
	low := strings.ToLower(body)
	if strings.Contains(body, "长按") || strings.Contains(low, "long-press") || strings.Contains(low, "long press") {
		t.Errorf("%s tells the shopper to long-press the QR; WeChat refuses Native codes read from an image", what)
	}
}

// postForm POSTs a form with the browser's CSRF token and a User-Agent.
func postForm(t *testing.T, r *testrig.Rig, b *http.Client, path, ua string, form url.Values, headers ...string) *http.Response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	req, err := http.NewRequest("POST", r.App.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %s", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(body, w) {
			t.Errorf("%s has %s", what, w)
		}
	}
}

const (
	scanHint        = "请打开微信，使用“扫一扫”扫描二维码完成支付"
	scanOtherDevice = "在另一台设备上显示此二维码"
	openInWeChat    = "请在微信中打开此链接"
	openOtherDevice = "请在电脑或另一部手机上打开扫码"
)

// Without the phone ways configured, every device gets the QR and honest
// instructions — never the OAuth, the payment sheet or the H5 button.
func TestPaymentPageWithoutPhoneWaysGivesEveryDeviceTheQR(t *testing.T) {
	for _, tc := range []struct {
		name        string
		dev         checkout.Devices
		withDevices bool
	}{
		{"no devices", checkout.Devices{}, false},
		{"ways off", checkout.Devices{}, true},
		{"H5 without JSAPI, in WeChat", checkout.Devices{H5: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, f := phoneRig(t, tc.dev, tc.withDevices)
			o := r.PlaceOrder(t, "COFFEE", 1)
			b := r.Browser(t)
			u := r.App.URL + "/pay/" + o.Token

			if !tc.dev.H5 {
				pc := page(t, b, u, uaPC)
				mustContain(t, "PC page", pc, `id="qr"`, `data-way="qr"`, scanHint, `id="simulate-scan"`)
				mustNotContain(t, "PC page", pc, `id="copy-link"`, `id="device-hint"`, `id="jsapi-pay"`, `id="h5-pay"`)
			}

			wx := page(t, b, u, uaWeChat)
			mustContain(t, "WeChat page", wx, `id="device-hint"`, openOtherDevice, `id="copy-link"`,
				`data-link="`+publicURL+`/pay/`+o.Token+`"`, `id="qr"`, `id="qr-caption"`, scanOtherDevice)
			mustNotContain(t, "WeChat page", wx, scanHint, `id="jsapi-pay"`, openInWeChat)

			if !tc.dev.H5 {
				for _, ua := range []string{uaPhone, uaDroid} {
					ph := page(t, b, u, ua)
					mustContain(t, "phone page", ph, `id="device-hint"`, openInWeChat, `id="copy-link"`, `id="qr"`, scanOtherDevice)
					mustNotContain(t, "phone page", ph, `id="h5-pay"`, scanHint)
				}
			}
			en := page(t, b, u+"?lang=en", uaWeChat)
			mustContain(t, "English WeChat page", en, `id="copy-link"`, "Copy link")
			if got := testrig.DecodeQR(t, []byte(page(t, b, u+"/qr.png", uaWeChat))); got != o.CodeURL {
				t.Errorf("QR says %q, want %q", got, o.CodeURL)
			}
			if resp := visit(t, b, u+"/oauth?code=code-oAlice&state=x.y", uaWeChat); resp.StatusCode != http.StatusNotFound {
				t.Errorf("the OAuth return without JSAPI = %d, want 404", resp.StatusCode)
			}
			if n := len(f.calls()); n != 0 {
				t.Errorf("%d JSAPI/MWEB orders placed, want none", n)
			}
		})
	}
}

// oauthStart opens the page inside WeChat without an openid: a 302 to
// WeChat's OAuth. It returns the state given and the nonce cookie set.
func oauthStart(t *testing.T, r *testrig.Rig, b *http.Client, o *models.Order) (state, nonce string) {
	t.Helper()
	resp := visit(t, b, r.App.URL+"/pay/"+o.Token, uaWeChat)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("WeChat without an openid = %d, want 302 to OAuth", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Host != "open.weixin.qq.com" || q.Get("scope") != "snsapi_base" || q.Get("appid") != wxpaysim.DemoAppID {
		t.Errorf("OAuth URL %s", loc)
	}
	if want := publicURL + "/pay/" + o.Token + "/oauth"; q.Get("redirect_uri") != want {
		t.Errorf("redirect_uri %q, want %q", q.Get("redirect_uri"), want)
	}
	state = q.Get("state")
	for _, c := range resp.Cookies() {
		if c.Name == "wxc_oauth" {
			nonce = c.Value
			if c.Path != "/pay/"+o.Token || !c.HttpOnly || c.MaxAge <= 0 {
				t.Errorf("state cookie %+v: want HttpOnly, for this order's page, expiring", c)
			}
		}
	}
	if nonce == "" || !strings.HasPrefix(state, nonce+".") || len(state) > 128 {
		t.Fatalf("state %q, cookie %q: want the state to carry the browser's nonce", state, nonce)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on the OAuth redirect", cc)
	}
	return state, nonce
}

func oauthReturn(t *testing.T, r *testrig.Rig, b *http.Client, o *models.Order, code, state string, headers ...string) *http.Response {
	t.Helper()
	return visit(t, b, r.App.URL+"/pay/"+o.Token+"/oauth?"+url.Values{"code": {code}, "state": {state}}.Encode(), uaWeChat, headers...)
}

var paramsRe = regexp.MustCompile(`id="jsapi-pay"[^>]*data-params="([^"]*)"`)

func TestJSAPIInsideWeChatAfterOAuth(t *testing.T) {
	r, f := phoneRig(t, allWays, true)
	o := r.PlaceOrder(t, "COFFEE", 1)
	b := r.Browser(t)
	state, _ := oauthStart(t, r, b, o)
	if n := len(f.calls()); n != 0 {
		t.Fatalf("%d orders placed before the openid is known", n)
	}

	resp := oauthReturn(t, r, b, o, "code-oAlice", state)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.Token {
		t.Fatalf("OAuth return = %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	var openidCookie *http.Cookie
	cleared := false
	for _, c := range resp.Cookies() {
		switch c.Name {
		case "wxc_openid":
			openidCookie = c
		case "wxc_oauth":
			cleared = c.MaxAge < 0
		}
	}
	if openidCookie == nil || !strings.HasPrefix(openidCookie.Value, "oAlice.") || !openidCookie.HttpOnly ||
		openidCookie.Path != "/pay/"+o.Token || openidCookie.MaxAge <= 0 {
		t.Errorf("openid cookie %+v: want oAlice, MACed, HttpOnly, for this page", openidCookie)
	}
	if !cleared {
		t.Error("the state cookie is not cleared: the state could be used again")
	}
	calls := f.calls()
	if len(calls) != 1 || calls[0].TradeType != wxpay.TradeJSAPI || calls[0].OpenID != "oAlice" ||
		calls[0].OutTradeNo == o.OutTradeNo || !calls[0].TimeExpire.Equal(o.ExpiresAt) {
		t.Fatalf("unifiedorder %+v; want one JSAPI order for oAlice with the order's time_expire", calls)
	}

	body := page(t, b, r.App.URL+"/pay/"+o.Token, uaWeChat)
	mustContain(t, "JSAPI page", body, `data-way="jsapi"`, `id="jsapi-pay"`, `src="/sim/jsbridge.js"`, `id="copy-link"`,
		`id="show-qr"`, `href="/pay/`+o.Token+`?way=qr"`)
	mustNotContain(t, "JSAPI page", body, `id="qr"`, `id="way-problem"`)
	m := paramsRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no data-params on #jsapi-pay")
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p); err != nil {
		t.Fatalf("data-params %q: %v", m[1], err)
	}
	if len(p) != 6 || p["appId"] != wxpaysim.DemoAppID || p["package"] != "prepay_id=wx"+calls[0].OutTradeNo ||
		p["timeStamp"] == "" || p["nonceStr"] == "" || p["signType"] == "" || p["paySign"] == "" {
		t.Errorf("pay params %v; want appId, timeStamp, nonceStr, package, signType, paySign", p)
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("the page placed another order (%d calls); want the JSAPI order reused", n)
	}

	// The state is spent: the same again is refused, nothing placed.
	resp = oauthReturn(t, r, b, o, "code-oAlice2", state)
	again := testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(again, "授权链接无效或已使用") {
		t.Errorf("the same state again = %d to %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("%d unifiedorder calls after a reused state, want 1", n)
	}

	// ?way=qr always shows the QR, inside WeChat too.
	qr := page(t, b, r.App.URL+"/pay/"+o.Token+"?way=qr", uaWeChat)
	mustContain(t, "?way=qr page", qr, `id="qr"`, `data-way="qr"`)
	mustNotContain(t, "?way=qr page", qr, `id="jsapi-pay"`)

	// Paid through the JSAPI order (found by "已完成支付"'s check): the receipt.
	f.pay(calls[0].OutTradeNo, "4200000001202611220000000011")
	if err := r.Svc.Sync(context.Background(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	receipt := page(t, b, r.App.URL+"/pay/"+o.Token, uaWeChat)
	mustContain(t, "receipt", receipt, `data-state="PAID"`, "4200000001202611220000000011")
	mustNotContain(t, "receipt", receipt, `id="jsapi-pay"`, `id="qr"`)
	var st struct {
		OutTradeNo string `json:"out_trade_no"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal([]byte(page(t, b, r.App.URL+"/pay/"+o.Token+"/status", uaWeChat)), &st); err != nil {
		t.Fatal(err)
	}
	if st.OutTradeNo != o.OutTradeNo || st.Status != "PAID" {
		t.Errorf("status %+v, want PAID under the order's own %s", st, o.OutTradeNo)
	}
}

// Only the state this browser was given for this order's page, once:
// anything else is a 400 page, no redirect, nothing placed.
func TestOAuthReturnRefusesAStateNotIssuedToThisBrowserForThisOrder(t *testing.T) {
	r, f := phoneRig(t, allWays, true)
	a := r.PlaceOrder(t, "COFFEE", 1)
	other := r.PlaceOrder(t, "PENNY", 1)
	b := r.Browser(t)
	stateA, nonceA := oauthStart(t, r, b, a)
	stateB, nonceB := oauthStart(t, r, b, other)
	_, macA, _ := strings.Cut(stateA, ".")

	refused := func(name string, resp *http.Response, wantText string) {
		t.Helper()
		body := testrig.ReadAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, `id="error-message"`) ||
			!strings.Contains(body, wantText) {
			t.Errorf("%s = %d to %q, want a 400 page saying %q", name, resp.StatusCode, resp.Header.Get("Location"), wantText)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "wxc_openid" {
				t.Errorf("%s set an openid cookie", name)
			}
		}
	}
	const badState = "授权链接无效或已使用"
	refused("a forged MAC", oauthReturn(t, r, b, a, "code-oMallory", nonceA+".AAAAAAAAAAAAAAAAAAAAAAAA"), badState)
	refused("a forged nonce", oauthReturn(t, r, b, a, "code-oMallory", "forged."+macA), badState)
	refused("another order's state", oauthReturn(t, r, b, a, "code-oMallory", stateB), badState)
	// Another order's state with its own cookie sent to this order's page:
	// the MAC binds the state to the token.
	fresh := r.Browser(t)
	refused("another order's state and cookie", oauthReturn(t, r, fresh, a, "code-oMallory", stateB, "Cookie", "wxc_oauth="+nonceB), badState)
	refused("no cookie", oauthReturn(t, r, fresh, a, "code-oMallory", stateA), badState)
	refused("no state", oauthReturn(t, r, b, a, "code-oMallory", ""), badState)
	refused("an overlong state", oauthReturn(t, r, b, a, "code-oMallory", stateA+strings.Repeat("A", 130)), badState)
	if n := len(f.calls()); n != 0 {
		t.Fatalf("%d orders placed for refused states", n)
	}

	// A code WeChat does not take, with the right state: 400, nothing placed,
	// and the state is spent.
	refused("an invalid code", oauthReturn(t, r, b, a, "bogus", stateA), "微信授权码（code）无效、已过期或已使用")
	if n := len(f.calls()); n != 0 {
		t.Fatalf("%d orders placed for an invalid code", n)
	}
	refused("the state of the invalid code again", oauthReturn(t, r, b, a, "code-oAlice", stateA), badState)

	// Order B's own state in its own page still works.
	resp := oauthReturn(t, r, b, other, "code-oBob", stateB)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("order B's state at order B = %d, want 303", resp.StatusCode)
	}
	if calls := f.calls(); len(calls) != 1 || calls[0].OpenID != "oBob" || calls[0].TotalFee != 1 {
		t.Errorf("unifiedorder %+v, want one JSAPI order of ¥0.01 for oBob", calls)
	}

	// The openid cookie is bound to its order: B's is no openid for A's page.
	var bCookie string
	for _, c := range resp.Cookies() {
		if c.Name == "wxc_openid" {
			bCookie = c.Value
		}
	}
	resp = visit(t, fresh, r.App.URL+"/pay/"+a.Token, uaWeChat, "Cookie", "wxc_openid="+bCookie)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Errorf("A's page with B's openid cookie = %d, want 302 to OAuth", resp.StatusCode)
	}
	resp = visit(t, fresh, r.App.URL+"/pay/"+a.Token, uaWeChat, "Cookie", "wxc_openid=oMallory.AAAAAAAAAAAAAAAAAAAAAAAA")
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Errorf("A's page with a forged openid cookie = %d, want 302 to OAuth", resp.StatusCode)
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("%d unifiedorder calls, want 1", n)
	}
}

func TestH5InAPhoneBrowser(t *testing.T) {
	r, f := phoneRig(t, allWays, true)
	o := r.PlaceOrder(t, "COFFEE", 1)
	b := r.Browser(t)
	u := r.App.URL + "/pay/" + o.Token

	body := page(t, b, u, uaPhone)
	mustContain(t, "H5 page", body, `data-way="h5"`, `id="h5-pay"`, `action="/pay/`+o.Token+`/h5"`, `id="copy-link"`,
		`id="show-qr"`, `href="/pay/`+o.Token+`?way=qr"`)
	mustNotContain(t, "H5 page", body, `id="qr"`, `id="jsapi-pay"`, `id="h5-done"`)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the H5 form")
	}
	csrf := m[1]
	qr := page(t, b, u+"?way=qr", uaPhone)
	mustContain(t, "?way=qr page", qr, `id="qr"`, scanHint)
	mustNotContain(t, "?way=qr page", qr, `id="h5-pay"`)
	if n := len(f.calls()); n != 0 {
		t.Fatalf("%d orders placed by showing pages", n)
	}

	// Without the CSRF token nothing is placed.
	resp := postForm(t, r, b, "/pay/"+o.Token+"/h5", uaPhone, nil)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusForbidden || len(f.calls()) != 0 {
		t.Errorf("H5 without CSRF = %d, %d orders placed; want 403 and none", resp.StatusCode, len(f.calls()))
	}

	// The shopper's IP, as the trusted proxy names it, is spbill_create_ip.
	resp = postForm(t, r, b, "/pay/"+o.Token+"/h5", uaPhone, url.Values{"csrf_token": {csrf}}, "X-Forwarded-For", "203.0.113.7")
	testrig.ReadAll(t, resp)
	calls := f.calls()
	if len(calls) != 1 || calls[0].TradeType != wxpay.TradeMWEB || calls[0].SpbillCreateIP != "203.0.113.7" ||
		calls[0].SceneInfo == "" || calls[0].OutTradeNo == o.OutTradeNo {
		t.Fatalf("unifiedorder %+v; want one MWEB order from 203.0.113.7 with scene_info", calls)
	}
	mwebURL := "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx" + calls[0].OutTradeNo + "&package=1037687096"
	want := mwebURL + "&redirect_url=" + url.QueryEscape(publicURL+"/pay/"+o.Token+"?h5=1")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("H5 = %d to %q, want 302 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	// Pressed again from the same IP within its life: the same cashier.
	resp = postForm(t, r, b, "/pay/"+o.Token+"/h5", uaPhone, url.Values{"csrf_token": {csrf}}, "X-Forwarded-For", "203.0.113.7")
	testrig.ReadAll(t, resp)
	if resp.Header.Get("Location") != want || len(f.calls()) != 1 {
		t.Errorf("H5 again = %q (%d orders), want the same cashier", resp.Header.Get("Location"), len(f.calls()))
	}

	// Back from the cashier: "已完成支付" and "遇到问题".
	back := page(t, b, u+"?h5=1", uaPhone)
	mustContain(t, "H5 return page", back, `id="h5-done"`, "已完成支付", `id="h5-retry"`, "遇到问题", `action="/pay/`+o.Token+`/check"`)
	mustNotContain(t, "H5 return page", back, `id="h5-pay"`, `id="h5-checked"`)

	// Not paid yet: the check says so.
	resp = postForm(t, r, b, "/pay/"+o.Token+"/check", uaPhone, url.Values{"csrf_token": {csrf}})
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.Token+"?h5=1&checked=1" {
		t.Errorf("check before paying = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	mustContain(t, "checked page", page(t, b, u+"?h5=1&checked=1", uaPhone), `id="h5-checked"`, `id="h5-done"`)

	// Paid at the cashier: the check finds it, and the page is the receipt.
	f.pay(calls[0].OutTradeNo, "4200000001202611220000000021")
	resp = postForm(t, r, b, "/pay/"+o.Token+"/check", uaPhone, url.Values{"csrf_token": {csrf}})
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.Token {
		t.Errorf("check after paying = %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.PaidTradeNo != calls[0].OutTradeNo {
		t.Fatalf("order %s paid by %q, want PAID by the MWEB order", got.Status, got.PaidTradeNo)
	}
	receipt := page(t, b, u+"?h5=1", uaPhone)
	mustContain(t, "H5 receipt", receipt, `data-state="PAID"`, "4200000001202611220000000021", o.OutTradeNo)
	mustNotContain(t, "H5 receipt", receipt, `id="h5-done"`, `id="h5-pay"`)
	// The H5 button of a paid order leads to the receipt, placing nothing.
	resp = postForm(t, r, b, "/pay/"+o.Token+"/h5", uaPhone, url.Values{"csrf_token": {csrf}})
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.Token || len(f.calls()) != 1 {
		t.Errorf("H5 of a paid order = %d to %q, %d orders", resp.StatusCode, resp.Header.Get("Location"), len(f.calls()))
	}
}

func TestPaidOrderShowsTheReceiptOnEveryDevice(t *testing.T) {
	r, f := phoneRig(t, allWays, true)
	o := r.PlaceOrder(t, "COFFEE", 1)
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	if err := r.Svc.Sync(context.Background(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	paid := r.Order(t, o.OutTradeNo)
	if paid.Status != models.StatusPaid {
		t.Fatalf("order %s", paid.Status)
	}
	b := r.Browser(t)
	for _, ua := range []string{uaPC, uaWeChat, uaPhone, uaDroid} {
		for _, q := range []string{"", "?way=qr", "?h5=1"} {
			body := page(t, b, r.App.URL+"/pay/"+o.Token+q, ua) // inside WeChat too: no OAuth round trip
			what := fmt.Sprintf("receipt %s for %.30s", q, ua)
			mustContain(t, what, body, `data-state="PAID"`, `id="transaction-id"`, paid.TransactionID)
			mustNotContain(t, what, body, `id="qr"`, `id="jsapi-pay"`, `id="h5-pay"`, `id="h5-done"`, `id="copy-link"`, `id="device-hint"`)
		}
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("%d orders placed for a paid order", n)
	}
}

// A WeChat order that cannot be had now (too many tried) leaves the QR and
// the link on the page, with the reason — not an error page that a reload
// would only lead back to through the OAuth.
func TestPaymentPageFallsBackToTheQRWhenTheWayFails(t *testing.T) {
	r, f := phoneRig(t, allWays, true)
	o := r.PlaceOrder(t, "COFFEE", 1)
	for i := range 20 {
		if _, err := r.Svc.PayWith(context.Background(), o,
			checkout.Way{TradeType: wxpay.TradeJSAPI, OpenID: fmt.Sprintf("oPayer%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := r.Browser(t)
	state, _ := oauthStart(t, r, b, o)
	resp := oauthReturn(t, r, b, o, "code-oAlice", state)
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.Token {
		t.Errorf("OAuth return past the bound = %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	for range 2 { // and again on a reload: no OAuth round trip
		body := page(t, b, r.App.URL+"/pay/"+o.Token, uaWeChat)
		mustContain(t, "page past the bound", body, `id="way-problem"`, "此订单已尝试 20 次其他支付方式", `id="qr"`,
			`id="copy-link"`, scanOtherDevice)
		mustNotContain(t, "page past the bound", body, `id="jsapi-pay"`)
	}
	if n := len(f.calls()); n != 20 {
		t.Errorf("%d orders placed, want 20", n)
	}
	// A payer who has a JSAPI order already still gets it.
	b0 := r.Browser(t)
	state, _ = oauthStart(t, r, b0, o)
	testrig.ReadAll(t, oauthReturn(t, r, b0, o, "code-oPayer00", state))
	mustContain(t, "page of a payer with an order", page(t, b0, r.App.URL+"/pay/"+o.Token, uaWeChat), `id="jsapi-pay"`)
	if n := len(f.calls()); n != 20 {
		t.Errorf("%d orders placed, want 20", n)
	}
}
