package handlers_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
)

var appKeyOnPage = regexp.MustCompile(`<code id="app-key">([A-Za-z0-9]{32})</code>`)

// appKey is the key an app's page shows.
func appKey(t *testing.T, p adminPage) string {
	t.Helper()
	m := appKeyOnPage.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("app page = %d with no key", p.Status)
	}
	return m[1]
}

// createApp posts the create form and returns the path it redirects to.
func createApp(t *testing.T, r *testrig.Rig, b *http.Client, name string) string {
	t.Helper()
	p := adminPost(t, r, b, "/admin/apps", url.Values{"csrf_token": {adminToken(t, r, b)}, "name": {name}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create app %q = %d, want 303", name, p.Status)
	}
	return p.Header.Get("Location")
}

func TestAdminApps(t *testing.T) {
	var logs logBuffer
	r := testrig.New(t, testrig.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	b := r.AdminBrowser(t)
	ctx := t.Context()

	list := adminGet(t, r, b, "/admin/apps")
	if list.Status != 200 || list.Header.Get("Cache-Control") != "no-store" || !strings.Contains(list.Body, "暂无商户应用") {
		t.Fatalf("empty list = %d %q", list.Status, list.Header.Get("Cache-Control"))
	}
	if orders := adminGet(t, r, b, "/admin/orders"); !strings.Contains(orders.Body, `href="/admin/apps"`) {
		t.Error("the admin nav has no link to the apps")
	}

	if loc := createApp(t, r, b, " 独角数卡 "); loc != "/admin/apps/1000" {
		t.Fatalf("first app at %q, want /admin/apps/1000", loc)
	}
	first := adminGet(t, r, b, "/admin/apps/1000")
	if f := adminFlash(t, first); !strings.HasPrefix(f, "ok:") || !strings.Contains(f, "1000") {
		t.Errorf("flash after create = %q", f)
	}
	if loc := createApp(t, r, b, "v2board"); loc != "/admin/apps/1001" {
		t.Fatalf("second app at %q, want /admin/apps/1001", loc)
	}
	key1 := appKey(t, first)
	stored, err := r.Store.AppByPid(ctx, 1000)
	if err != nil || stored.Key != key1 || stored.Name != "独角数卡" || !stored.Enabled {
		t.Fatalf("stored app 1000 = %+v, %v; want the page's key, the trimmed name, enabled", stored, err)
	}
	if first.Header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the key may be cached")
	}
	second := adminGet(t, r, b, "/admin/apps/1001")
	key2 := appKey(t, second)
	if key1 == key2 || strings.Contains(second.Body, key1) {
		t.Fatal("app 1001 shows app 1000's key")
	}
	list = adminGet(t, r, b, "/admin/apps")
	for _, want := range []string{`data-pid="1000" data-enabled="true"`, `data-pid="1001"`, "独角数卡", "v2board"} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	if strings.Contains(list.Body, key1) || strings.Contains(list.Body, key2) {
		t.Error("the list shows a key")
	}

	// Rotate: a new key, shown; the old one is gone.
	p := adminPost(t, r, b, "/admin/apps/1000/rotate", url.Values{"csrf_token": {adminToken(t, r, b)}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/apps/1000" {
		t.Fatalf("rotate = %d to %q", p.Status, p.Header.Get("Location"))
	}
	page := adminGet(t, r, b, "/admin/apps/1000")
	rotated := appKey(t, page)
	if rotated == key1 || strings.Contains(page.Body, key1) {
		t.Error("rotate kept the old key")
	}
	if f := adminFlash(t, page); !strings.HasPrefix(f, "ok:") || strings.Contains(f, rotated) {
		t.Errorf("flash after rotate = %q", f)
	}
	if got, _ := r.Store.AppByPid(ctx, 1000); got.Key != rotated {
		t.Error("the stored key is not the one shown")
	}

	// Disable, then enable again.
	p = adminPost(t, r, b, "/admin/apps/1001/disable", url.Values{"csrf_token": {adminToken(t, r, b)}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("disable = %d", p.Status)
	}
	if got, _ := r.Store.AppByPid(ctx, 1001); got.Enabled {
		t.Fatal("disable left the app enabled")
	}
	page = adminGet(t, r, b, "/admin/apps/1001")
	if !strings.Contains(page.Body, `id="enable"`) || strings.Contains(page.Body, `id="disable"`) || !strings.Contains(page.Body, "已停用") {
		t.Error("a disabled app's page does not offer Enable")
	}
	adminPost(t, r, b, "/admin/apps/1001/enable", url.Values{"csrf_token": {adminToken(t, r, b)}})
	if got, _ := r.Store.AppByPid(ctx, 1001); !got.Enabled || got.Key != key2 {
		t.Error("enable did not enable the app, or changed its key")
	}

	// A bad name is refused and creates nothing.
	if loc := createApp(t, r, b, "   "); loc != "/admin/apps" {
		t.Errorf("an empty name went to %q", loc)
	}
	if f := adminFlash(t, adminGet(t, r, b, "/admin/apps")); !strings.HasPrefix(f, "error:") {
		t.Errorf("flash after an empty name = %q", f)
	}
	if apps, _ := r.Store.Apps(ctx); len(apps) != 2 {
		t.Errorf("%d apps after a refused create, want 2", len(apps))
	}

	for _, path := range []string{"/admin/apps/999", "/admin/apps/4242", "/admin/apps/abc", "/admin/apps/01000"} {
		if p := adminGet(t, r, b, path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, p.Status)
		}
	}
	if p := adminPost(t, r, b, "/admin/apps/4242/rotate", url.Values{"csrf_token": {adminToken(t, r, b)}}); p.Status != http.StatusNotFound {
		t.Errorf("rotate of an unknown app = %d, want 404", p.Status)
	}

	for _, k := range []string{key1, key2, rotated} {
		if strings.Contains(logs.String(), k) {
			t.Fatalf("a key is in the log:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "merchant app key rotated") {
		t.Error("the rotation is not logged")
	}
}

func TestAdminAppsNeedTheSessionAndItsToken(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	createApp(t, r, b, "shop")
	key := appKey(t, adminGet(t, r, b, "/admin/apps/1000"))
	unchanged := func(what string) {
		t.Helper()
		a, err := r.Store.AppByPid(t.Context(), 1000)
		if err != nil || a.Key != key || !a.Enabled {
			t.Errorf("%s changed the app: %+v, %v", what, a, err)
		}
		if apps, _ := r.Store.Apps(t.Context()); len(apps) != 1 {
			t.Errorf("%s: %d apps, want 1", what, len(apps))
		}
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/apps", url.Values{"name": {"x"}}},
		{"/admin/apps/1000/rotate", nil},
		{"/admin/apps/1000/disable", nil},
	}
	for _, tt := range posts {
		for _, token := range []string{"", "forged"} {
			form := url.Values{"csrf_token": {token}}
			for k, v := range tt.form {
				form[k] = v
			}
			if p := adminPost(t, r, b, tt.path, form); p.Status != http.StatusForbidden {
				t.Errorf("POST %s with token %q = %d, want 403", tt.path, token, p.Status)
			}
			unchanged("POST " + tt.path + " without the token")
		}
	}

	out := r.Browser(t)
	for _, path := range []string{"/admin/apps", "/admin/apps/1000"} {
		p := adminGet(t, r, out, path)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" || strings.Contains(p.Body, key) {
			t.Errorf("signed out, GET %s = %d to %q", path, p.Status, p.Header.Get("Location"))
		}
	}
	for _, tt := range posts {
		p := adminPost(t, r, out, tt.path, tt.form)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" {
			t.Errorf("signed out, POST %s = %d to %q", tt.path, p.Status, p.Header.Get("Location"))
		}
		unchanged("signed out, POST " + tt.path)
	}
}
