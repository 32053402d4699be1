package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"wxcheckout/handlers"
	"wxcheckout/internal/testrig"
)

// adminRoutes are every admin page and action, with a real order.
func adminRoutes(no string) []struct{ method, path string } {
	return []struct{ method, path string }{
		{"GET", "/admin"}, {"GET", "/admin/orders"}, {"GET", "/admin/orders?status=PAID"}, {"GET", "/admin/orders.csv"},
		{"GET", "/admin/orders/" + no}, {"POST", "/admin/orders/" + no + "/sync"}, {"POST", "/admin/orders/" + no + "/close"},
		{"POST", "/admin/logout"},
	}
}

func TestAdminWithoutSessionGoesToLogin(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	forged := r.Browser(t)
	u, _ := url.Parse(r.App.URL + "/admin/")
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: "admin_session", Value: strings.Repeat("A", 43), Path: "/admin"}})
	for _, who := range []struct {
		name string
		b    *http.Client
	}{{"no cookie", r.Browser(t)}, {"made-up session", forged}} {
		for _, rt := range adminRoutes(o.OutTradeNo) {
			var p adminPage
			if rt.method == "GET" {
				p = adminGet(t, r, who.b, rt.path)
			} else {
				p = adminPost(t, r, who.b, rt.path, url.Values{"csrf_token": {"x"}})
			}
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" {
				t.Errorf("%s: %s %s = %d to %q, want 303 to /admin/login", who.name, rt.method, rt.path, p.Status, p.Header.Get("Location"))
			}
		}
	}
	if evs := adminEvents(t, r, o.OutTradeNo); len(evs) != 0 {
		t.Errorf("admin events recorded without a session: %+v", evs)
	}
}

func TestAdminLogin(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.Browser(t)
	login := adminGet(t, r, b, "/admin/login")
	if login.Status != 200 || !strings.Contains(login.Body, `name="password"`) || !strings.Contains(login.Body, `action="/admin/login"`) {
		t.Fatalf("login page = %d %q", login.Status, login.Body)
	}
	token := testrig.Cookie(t, b, r.App.URL, "csrf")
	wrong := adminPost(t, r, b, "/admin/login", url.Values{"password": {"nope"}, "csrf_token": {token}})
	if wrong.Status != http.StatusUnauthorized || !strings.Contains(wrong.Body, "密码错误") || testrig.Cookie(t, b, r.App.URL, "admin_session") != "" {
		t.Errorf("wrong password = %d, session cookie %q", wrong.Status, testrig.Cookie(t, b, r.App.URL, "admin_session"))
	}
	if p := adminGet(t, r, b, "/admin/orders"); p.Status != http.StatusSeeOther {
		t.Errorf("after a wrong password GET /admin/orders = %d, want 303", p.Status)
	}

	ok := adminPost(t, r, b, "/admin/login", url.Values{"password": {testrig.AdminPassword}, "csrf_token": {token}})
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/admin" {
		t.Fatalf("right password = %d to %q", ok.Status, ok.Header.Get("Location"))
	}
	cookie := ok.Header.Get("Set-Cookie")
	for _, want := range []string{"admin_session=", "Path=/admin", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on plain http", cookie)
	}
	if p := adminGet(t, r, b, "/admin/orders"); p.Status != 200 {
		t.Errorf("signed in GET /admin/orders = %d", p.Status)
	}
	if p := adminGet(t, r, b, "/admin/login"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin" {
		t.Errorf("signed in GET /admin/login = %d to %q, want the orders", p.Status, p.Header.Get("Location"))
	}
}

func TestAdminCookieIsSecureOverHTTPS(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	h, err := handlers.New(r.Svc, handlers.Options{SecureCookies: true, Now: r.Clock.Now, Admin: r.Svc, Auth: r.Auth}, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := h.Routes()
	form := url.Values{"password": {testrig.AdminPassword}, "csrf_token": {strings.Repeat("c", 43)}}
	req := httptest.NewRequest("POST", "https://shop.example/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "csrf", Value: strings.Repeat("c", 43)})
	w := httptest.NewRecorder()
	routes.ServeHTTP(w, req)
	if c := w.Header().Get("Set-Cookie"); w.Code != http.StatusSeeOther || !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("login over https = %d, Set-Cookie %q; want Secure, HttpOnly", w.Code, c)
	}
}

func TestAdminLoginRateLimit(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.Browser(t)
	adminGet(t, r, b, "/admin/login")
	token := testrig.Cookie(t, b, r.App.URL, "csrf")
	for i := range 5 {
		if p := adminPost(t, r, b, "/admin/login", url.Values{"password": {"guess"}, "csrf_token": {token}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, p.Status)
		}
	}
	p := adminPost(t, r, b, "/admin/login", url.Values{"password": {testrig.AdminPassword}, "csrf_token": {token}})
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "登录失败次数过多") {
		t.Fatalf("6th attempt with the right password = %d (Retry-After %q), want 429 with a message", p.Status, p.Header.Get("Retry-After"))
	}
	if testrig.Cookie(t, b, r.App.URL, "admin_session") != "" {
		t.Error("a rate-limited login got a session")
	}
	r.Clock.Advance(61 * time.Second)
	if p := adminPost(t, r, b, "/admin/login", url.Values{"password": {testrig.AdminPassword}, "csrf_token": {token}}); p.Status != http.StatusSeeOther {
		t.Errorf("a minute later = %d, want 303", p.Status)
	}
}

func TestAdminLoginLimitCountsIPv6Per64(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.Browser(t)
	adminGet(t, r, b, "/admin/login")
	token := testrig.Cookie(t, b, r.App.URL, "csrf")
	login := func(password, ip string) int {
		code, _ := postFrom(t, b, r.App.URL+"/admin/login", url.Values{"password": {password}, "csrf_token": {token}}, ip)
		return code
	}
	for i := range 5 { // a new address of the same /64 for every guess
		if code := login("guess", fmt.Sprintf("2001:db8:a:b::%x", i+1)); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	if code := login(testrig.AdminPassword, "2001:db8:a:b:ffff::1"); code != http.StatusTooManyRequests {
		t.Errorf("6th attempt from the same /64 = %d, want 429", code)
	}
	if code := login(testrig.AdminPassword, "2001:db8:a:c::1"); code != http.StatusSeeOther {
		t.Errorf("attempt from the next /64 = %d, want 303", code)
	}
}

func TestAdminSessionExpires(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	for range 11 {
		r.Clock.Advance(55 * time.Minute)
		if p := adminGet(t, r, b, "/admin/orders"); p.Status != 200 {
			t.Fatalf("active session at %v: %d", r.Clock.Now(), p.Status)
		}
	}
	r.Clock.Advance(65 * time.Minute) // past 12 h since login
	if p := adminGet(t, r, b, "/admin/orders"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" {
		t.Errorf("after 12 h = %d to %q, want 303 to login", p.Status, p.Header.Get("Location"))
	}

	idle := r.AdminBrowser(t)
	r.Clock.Advance(61 * time.Minute)
	if p := adminGet(t, r, idle, "/admin/orders"); p.Status != http.StatusSeeOther {
		t.Errorf("after 61 idle minutes = %d, want 303", p.Status)
	}
}

func TestAdminLogoutEndsTheSessionOnTheServer(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	stolen := testrig.Cookie(t, b, r.App.URL, "admin_session")
	p := adminPost(t, r, b, "/admin/logout", url.Values{"csrf_token": {adminToken(t, r, b)}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" {
		t.Fatalf("logout = %d to %q", p.Status, p.Header.Get("Location"))
	}
	replay := r.Browser(t)
	u, _ := url.Parse(r.App.URL + "/admin/")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "admin_session", Value: stolen, Path: "/admin"}})
	if p := adminGet(t, r, replay, "/admin/orders"); p.Status != http.StatusSeeOther {
		t.Errorf("the old cookie after logout = %d, want 303 to login", p.Status)
	}
}

func TestAdminPostsNeedTheSessionsCSRFToken(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	b := r.AdminBrowser(t)
	other := adminToken(t, r, r.AdminBrowser(t)) // valid, but another session's
	for _, path := range []string{"/admin/orders/" + o.OutTradeNo + "/sync", "/admin/orders/" + o.OutTradeNo + "/close", "/admin/logout"} {
		for _, form := range []url.Values{{}, {"csrf_token": {""}}, {"csrf_token": {"wrong"}}, {"csrf_token": {other}}} {
			if p := adminPost(t, r, b, path, form); p.Status != http.StatusForbidden {
				t.Errorf("POST %s with %v = %d, want 403", path, form, p.Status)
			}
		}
	}
	if evs := adminEvents(t, r, o.OutTradeNo); len(evs) != 0 {
		t.Errorf("refused POSTs recorded admin events: %+v", evs)
	}
	if p := adminGet(t, r, b, "/admin/orders"); p.Status != 200 {
		t.Errorf("the session ended after refused POSTs: %d", p.Status)
	}

	fresh := r.Browser(t)
	adminGet(t, r, fresh, "/admin/login")
	for _, token := range []string{"", "wrong"} {
		p := adminPost(t, r, fresh, "/admin/login", url.Values{"password": {testrig.AdminPassword}, "csrf_token": {token}})
		if p.Status != http.StatusForbidden {
			t.Errorf("login with csrf_token %q = %d, want 403", token, p.Status)
		}
	}
}

func TestAdminPagesCarrySecurityHeaders(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	b := r.AdminBrowser(t)
	for _, path := range []string{"/admin/login", "/admin/orders", "/admin/orders/" + o.OutTradeNo, "/admin/orders.csv"} {
		p := adminGet(t, r, r.Browser(t), path)
		if path != "/admin/login" {
			p = adminGet(t, r, b, path)
		}
		csp := p.Header.Get("Content-Security-Policy")
		if p.Status != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: %d CSP %q", path, p.Status, csp)
		}
		if p.Header.Get("X-Content-Type-Options") != "nosniff" || p.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, p.Header)
		}
		if path != "/admin/login" && p.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, p.Header.Get("Cache-Control"))
		}
		if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, " style=") {
			t.Errorf("%s has inline script or style, which the CSP blocks", path)
		}
	}
}
