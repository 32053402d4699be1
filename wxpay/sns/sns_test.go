package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"wxcheckout/wxpay/sns"
)

const (
	testAppID  = "wxd930ea5d5a258f4f"
	testSecret = "0123456789abcdef0123456789abcdef" // an AppSecret: never in an error
	testCode   = "061Abc0w3n3Ea53kXo0w3n7ILf1Abc0O"
	testOpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
)

// fakeOpen is WeChat's open platform for these tests: it records each
// request and answers with what the test sets.
type fakeOpen struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	body   string
	seen   []*http.Request
}

func newFakeOpen(tb testing.TB) *fakeOpen {
	tb.Helper()
	f := &fakeOpen{status: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.seen = append(f.seen, r)
		if f.status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere?"+r.URL.RawQuery, f.status)
			return
		}
		w.Header().Set("Content-Type", "text/plain") // as jscode2session sends it
		w.WriteHeader(f.status)
		fmt.Fprint(w, f.body)
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpen) answer(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

func (f *fakeOpen) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.seen...)
}

func (f *fakeOpen) client() *sns.Client { return sns.New(sns.Config{APIBase: f.srv.URL + "/"}) }

func TestAuthorizeURL(t *testing.T) {
	got := sns.New(sns.Config{}).AuthorizeURL(testAppID, "https://shop.example.com/pay/Ab3 d?x=1&y=2", "st/ate+1")
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + testAppID +
		"&redirect_uri=https%3A%2F%2Fshop.example.com%2Fpay%2FAb3+d%3Fx%3D1%26y%3D2&response_type=code&scope=snsapi_base&state=st%2Fate%2B1#wechat_redirect"
	if got != want {
		t.Errorf("AuthorizeURL\n got %s\nwant %s", got, want)
	}
	c := sns.New(sns.Config{OpenBase: "http://127.0.0.1:8080/sim/"})
	if got := c.AuthorizeURL(testAppID, "http://x/", "s"); !strings.HasPrefix(got, "http://127.0.0.1:8080/sim/connect/oauth2/authorize?appid=") {
		t.Errorf("with OpenBase: %s", got)
	}
}

func TestOAuthOpenID(t *testing.T) {
	f := newFakeOpen(t)
	f.answer(http.StatusOK, `{"access_token":"ACCESS_TOKEN","expires_in":7200,"refresh_token":"R","openid":"`+testOpenID+
		`","scope":"snsapi_base","is_snapshotuser":0}`)
	got, err := f.client().OAuthOpenID(context.Background(), testAppID, testSecret, testCode)
	if err != nil || got != testOpenID {
		t.Fatalf("OAuthOpenID = %q, %v", got, err)
	}
	r := f.requests()[0]
	want := "/sns/oauth2/access_token?appid=" + testAppID + "&secret=" + testSecret + "&code=" + testCode + "&grant_type=authorization_code"
	if r.Method != "GET" || r.URL.RequestURI() != want {
		t.Errorf("request %s %s, want GET %s", r.Method, r.URL.RequestURI(), want)
	}
}

func TestCode2Session(t *testing.T) {
	f := newFakeOpen(t)
	f.answer(http.StatusOK, `{"session_key":"tiihtNczf5v6AKRyjwEUhQ==","openid":"`+testOpenID+`","unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL","errcode":0,"errmsg":"ok"}`)
	s, err := f.client().Code2Session(context.Background(), testAppID, testSecret, testCode)
	if err != nil {
		t.Fatal(err)
	}
	if s.OpenID != testOpenID || s.UnionID != "o6_bmasdasdsad6_2sgVt7hMZOPfL" || s.SessionKey != "tiihtNczf5v6AKRyjwEUhQ==" {
		t.Errorf("Session = %+v", *s)
	}
	want := "/sns/jscode2session?appid=" + testAppID + "&secret=" + testSecret + "&js_code=" + testCode + "&grant_type=authorization_code"
	if got := f.requests()[0].URL.RequestURI(); got != want {
		t.Errorf("request %s, want %s", got, want)
	}
	b, _ := json.Marshal(s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprint(*s), fmt.Sprintf("%+v", *s), fmt.Sprintf("%#v", *s), fmt.Sprintf("%#v", s), string(b)} {
		if strings.Contains(out, "tiihtNczf5v6AKRyjwEUhQ") {
			t.Errorf("the session key is printed: %s", out)
		}
		if !strings.Contains(out, testOpenID) {
			t.Errorf("the openid is not printed: %s", out)
		}
	}
}

// calls runs a call of either kind.
var calls = map[string]func(c *sns.Client, ctx context.Context, appID, secret, code string) error{
	"oauth": func(c *sns.Client, ctx context.Context, appID, secret, code string) error {
		_, err := c.OAuthOpenID(ctx, appID, secret, code)
		return err
	},
	"jscode2session": func(c *sns.Client, ctx context.Context, appID, secret, code string) error {
		_, err := c.Code2Session(ctx, appID, secret, code)
		return err
	},
}

func TestWeChatRefusals(t *testing.T) {
	f := newFakeOpen(t)
	tests := []struct {
		errcode     int
		errmsg      string
		invalidCode bool
	}{
		{40029, "invalid code, rid: 6541f2a1-1b2c3d4e-5f6a7b8c", true},
		{40163, "code been used, rid: 6541f2a1-1b2c3d4e-5f6a7b8c", true},
		{41008, "missing code", true},
		{40125, "invalid appsecret " + testSecret, false}, // an echoed secret is blanked
		{40013, "invalid appid", false},
		{45011, "api minute-quota reach limit", false},
		{40226, "high risk user", false},
		{-1, "system error", false},
	}
	for name, call := range calls {
		for _, tt := range tests {
			t.Run(fmt.Sprint(name, tt.errcode), func(t *testing.T) {
				f.answer(http.StatusOK, fmt.Sprintf(`{"errcode":%d,"errmsg":%q}`, tt.errcode, tt.errmsg))
				err := call(f.client(), context.Background(), testAppID, testSecret, testCode)
				var e *sns.Error
				if !errors.As(err, &e) || e.ErrCode != tt.errcode || sns.ErrCode(err) != tt.errcode {
					t.Fatalf("got %v, want *sns.Error %d", err, tt.errcode)
				}
				if got := sns.IsInvalidCode(err); got != tt.invalidCode {
					t.Errorf("IsInvalidCode = %v, want %v", got, tt.invalidCode)
				}
				var te *sns.TransportError
				if errors.As(err, &te) {
					t.Error("a refusal is a TransportError too")
				}
				if strings.Contains(err.Error(), testSecret) {
					t.Errorf("the secret is in %q", err)
				}
			})
		}
	}
}

func TestUnusableReplies(t *testing.T) {
	f := newFakeOpen(t)
	tests := []struct {
		name      string
		status    int
		body      string
		malformed bool
	}{
		{"not JSON", 200, `<html>502 Bad Gateway</html>`, true},
		{"empty", 200, ``, true},
		{"an array", 200, `[{"openid":"` + testOpenID + `"}]`, true},
		{"two objects", 200, `{"openid":"` + testOpenID + `"}{"openid":"o2"}`, true},
		{"truncated", 200, `{"openid":"` + testOpenID, true},
		{"a name twice", 200, `{"openid":"oAAAA","openid":"` + testOpenID + `"}`, true},
		{"a name twice in another case", 200, `{"openid":"oAAAA","OpenID":"` + testOpenID + `"}`, true},
		{"no openid", 200, `{"session_key":"k","unionid":"u"}`, true},
		{"an empty openid", 200, `{"openid":""}`, true},
		{"an openid of the wrong type", 200, `{"openid":12345}`, true},
		{"an openid with a slash", 200, `{"openid":"o/../x"}`, true},
		{"an errcode of the wrong type", 200, `{"errcode":"40029","errmsg":"invalid code"}`, true},
		{"an invalid unionid", 200, `{"openid":"` + testOpenID + `","unionid":"<script>"}`, true},
		{"oversized", 200, `{"openid":"` + testOpenID + `","pad":"` + strings.Repeat("a", sns.MaxBodySize) + `"}`, true},
		{"HTTP 500", 500, `{"openid":"` + testOpenID + `"}`, false},
		{"HTTP 404", 404, `not found`, false},
		{"a redirect", http.StatusFound, ``, false},
	}
	for name, call := range calls {
		for _, tt := range tests {
			t.Run(name+" "+tt.name, func(t *testing.T) {
				f.answer(tt.status, tt.body)
				err := call(f.client(), context.Background(), testAppID, testSecret, testCode)
				var te *sns.TransportError
				if !errors.As(err, &te) || sns.IsInvalidCode(err) || sns.ErrCode(err) != 0 {
					t.Fatalf("got %v, want a TransportError", err)
				}
				if got := errors.Is(err, sns.ErrMalformed); got != tt.malformed {
					t.Errorf("errors.Is(%v, ErrMalformed) = %v, want %v", err, got, tt.malformed)
				}
				if strings.Contains(err.Error(), testSecret) || len(err.Error()) > 512 {
					t.Errorf("error %q", err)
				}
			})
		}
	}
}

func TestTransportErrorsKeepTheSecretOut(t *testing.T) {
	f := newFakeOpen(t)
	f.srv.Close() // nothing listens: the dial fails, and net/http's error would hold the URL
	for name, call := range calls {
		err := call(f.client(), context.Background(), testAppID, testSecret, testCode)
		var te *sns.TransportError
		if !errors.As(err, &te) || te.HTTPStatus != 0 {
			t.Fatalf("%s: got %v, want a TransportError", name, err)
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(fmt.Sprintf("%+v", err), testSecret) {
			t.Errorf("%s: the secret is in %q", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, call := range calls {
		err := call(newFakeOpen(t).client(), ctx, testAppID, testSecret, testCode)
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
}

func TestArgumentsCheckedBeforeSending(t *testing.T) {
	f := newFakeOpen(t)
	for name, call := range calls {
		for _, tt := range []struct {
			name, appID, secret, code string
			invalidCode               bool
		}{
			{"no code", testAppID, testSecret, "", true},
			{"a code of 129 bytes", testAppID, testSecret, strings.Repeat("c", 129), true},
			{"no appid", "", testSecret, testCode, false},
			{"no secret", testAppID, "", testCode, false},
		} {
			err := call(f.client(), context.Background(), tt.appID, tt.secret, tt.code)
			if err == nil || sns.IsInvalidCode(err) != tt.invalidCode {
				t.Errorf("%s %s: %v, IsInvalidCode %v", name, tt.name, err, sns.IsInvalidCode(err))
			}
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
