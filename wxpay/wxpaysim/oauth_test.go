package wxpaysim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay/wxpaysim"
)

// noRedirect is a client of r that shows redirects instead of following them.
func noRedirect(r *rig) *http.Client {
	c := *r.ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func getBody(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func getJSON(t *testing.T, c *http.Client, u string) map[string]any {
	t.Helper()
	status, body, _ := getBody(t, c, u)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: %d %q", u, status, body)
	}
	return m
}

// consent presses 允许 as user and returns the code from the redirect.
func consent(t *testing.T, r *rig, redirectURI, state, user string) string {
	t.Helper()
	form := url.Values{"appid": {wxpaysim.DemoAppID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {state}, "user": {user}, "action": {"allow"}}
	resp, err := noRedirect(r).PostForm(r.ts.URL+"/connect/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("allow: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Query().Get("state"); got != state {
		t.Errorf("state = %q, want %q as sent", got, state)
	}
	return loc.Query().Get("code")
}

func tokenURL(r *rig, appID, secret, code string) string {
	return r.ts.URL + "/sns/oauth2/access_token?" + url.Values{"appid": {appID}, "secret": {secret},
		"code": {code}, "grant_type": {"authorization_code"}}.Encode()
}

func TestOAuthConsentPage(t *testing.T) {
	r := manualRig(t)
	auth := func(q url.Values) string { return r.ts.URL + "/connect/oauth2/authorize?" + q.Encode() }
	good := url.Values{"appid": {wxpaysim.DemoAppID}, "redirect_uri": {"https://shop.example/pay/t1/oauth"},
		"response_type": {"code"}, "scope": {"snsapi_base"}, "state": {"s1"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		q.Set(k, v)
		return q
	}
	tests := []struct {
		name   string
		q      url.Values
		status int
		want   string
	}{
		{"consent", good, http.StatusOK, "请求获取你的身份信息（openid）"},
		{"unknown appid", with("appid", "wx0123456789abcdef"), http.StatusBadRequest, "参数错误"},
		{"no redirect_uri", with("redirect_uri", ""), http.StatusBadRequest, "redirect_uri 参数错误"},
		{"relative redirect_uri", with("redirect_uri", "/pay/t1/oauth"), http.StatusBadRequest, "redirect_uri 参数错误"},
		{"javascript redirect_uri", with("redirect_uri", "javascript:alert(1)"), http.StatusBadRequest, "redirect_uri 参数错误"},
		{"bad scope", with("scope", "snsapi_login"), http.StatusBadRequest, "scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := getBody(t, r.ts.Client(), auth(tt.q))
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %q, want %d with %q", status, body, tt.status, tt.want)
			}
			if tt.status == http.StatusOK {
				for _, id := range []string{`id="sim-user"`, `value="alice"`, `id="sim-oauth-allow"`, "允许", "拒绝"} {
					contains(t, body, id)
				}
			}
		})
	}
}

func TestOAuthCodeForOpenID(t *testing.T) {
	r := manualRig(t)
	c := r.ts.Client()
	code := consent(t, r, "https://shop.example/pay/t1/oauth?h5=0", "st-1", "bob")
	tok := getJSON(t, c, tokenURL(r, wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, code))
	if tok["openid"] != r.sim.OpenID(wxpaysim.DemoAppID, "bob") || tok["scope"] != "snsapi_base" ||
		tok["expires_in"] != 7200.0 || tok["access_token"] == "" || tok["refresh_token"] == "" {
		t.Errorf("access_token = %v, want bob's openid", tok)
	}
	if again := getJSON(t, c, tokenURL(r, wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, code)); again["errcode"] != 40163.0 {
		t.Errorf("reused code: %v, want errcode 40163", again)
	}
	expired := consent(t, r, "https://shop.example/cb", "", "bob")
	unused := consent(t, r, "https://shop.example/cb", "", "bob")
	r.clock.Advance(5*time.Minute + time.Second)
	fresh := consent(t, r, "https://shop.example/cb", "", "bob")
	tests := []struct {
		name          string
		appID, secret string
		code          string
		errcode       float64
	}{
		{"forged code", wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, "0123456789abcdefghijABCDEFGHIJ01", 40029},
		{"expired code", wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, expired, 40029},
		{"wrong secret", wxpaysim.DemoAppID, strings.Repeat("0", 32), unused, 40125},
		{"unknown appid", "wx0123456789abcdef", wxpaysim.DemoAppSecret, fresh, 40013},
		{"a js_code", wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, r.sim.NewJSCode(wxpaysim.DemoAppID, "bob"), 40029},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := getJSON(t, c, tokenURL(r, tt.appID, tt.secret, tt.code))
			if got["errcode"] != tt.errcode || got["openid"] != nil {
				t.Errorf("got %v, want errcode %v", got, tt.errcode)
			}
		})
	}
	// A refused secret does not spend the code.
	if got := getJSON(t, c, tokenURL(r, wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, fresh)); got["openid"] == nil {
		t.Errorf("fresh code after refusals: %v", got)
	}
}

func TestOAuthDeny(t *testing.T) {
	r := manualRig(t)
	form := url.Values{"appid": {wxpaysim.DemoAppID}, "redirect_uri": {"https://shop.example/cb"}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {"s"}, "user": {"alice"}, "action": {"deny"}}
	resp, err := noRedirect(r).PostForm(r.ts.URL+"/connect/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(string(b), "拒绝") {
		t.Errorf("deny: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestJSCode2Session(t *testing.T) {
	const mini, miniSecret = "wxfeedface00000002", "fedcba9876543210fedcba9876543210"
	r := newRig(t, wxpaysim.Options{MiniAppID: mini, MiniAppSecret: miniSecret})
	c := r.ts.Client()
	session := func(appID, secret, code string) map[string]any {
		return getJSON(t, c, r.ts.URL+"/sns/jscode2session?"+url.Values{"appid": {appID}, "secret": {secret},
			"js_code": {code}, "grant_type": {"authorization_code"}}.Encode())
	}
	code := r.sim.NewJSCode(mini, "carol")
	got := session(mini, miniSecret, code)
	if got["openid"] != r.sim.OpenID(mini, "carol") || got["session_key"] == "" {
		t.Errorf("jscode2session = %v, want carol's openid under the mini program", got)
	}
	// POST /control/jscode gives a code too.
	resp, err := c.Post(r.ts.URL+"/control/jscode", "application/json", strings.NewReader(`{"appid":"`+mini+`","user":"dave"}`))
	if err != nil {
		t.Fatal(err)
	}
	var cj struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&cj)
	resp.Body.Close()
	tests := []struct {
		name          string
		appID, secret string
		code          string
		errcode       float64
	}{
		{"reused", mini, miniSecret, code, 40163},
		{"forged", mini, miniSecret, "nope", 40029},
		{"official account's secret", mini, wxpaysim.DemoAppSecret, cj.Code, 40125},
		{"code of the mini program at the official account", wxpaysim.DemoAppID, wxpaysim.DemoAppSecret, cj.Code, 40029},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := session(tt.appID, tt.secret, tt.code); got["errcode"] != tt.errcode || got["session_key"] != nil {
				t.Errorf("got %v, want errcode %v", got, tt.errcode)
			}
		})
	}
	if got := session(mini, miniSecret, cj.Code); got["openid"] != r.sim.OpenID(mini, "dave") {
		t.Errorf("control code: %v, want dave's openid", got)
	}
}
