package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"wxcheckout/checkout"
	"wxcheckout/config"
	"wxcheckout/internal/testrig"
)

// TestGeneratedAdminPasswordIsPrintedOnce starts the app twice on one
// database without ADMIN_PASSWORD: the first start prints a new password,
// the second only says the stored one is in use.
func TestGeneratedAdminPasswordIsPrintedOnce(t *testing.T) {
	db := testrig.DatabaseURL(t)
	start := func() string {
		vars := map[string]string{"ADDR": "127.0.0.1:0", "DATABASE_URL": db}
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		a, err := newApp(cfg, slog.New(slog.NewTextHandler(&out, nil)))
		if err != nil {
			t.Fatal(err)
		}
		a.close()
		return out.String()
	}
	first := start()
	m := regexp.MustCompile(`password=(\S+)`).FindStringSubmatch(first)
	if m == nil || len(m[1]) < 20 {
		t.Fatalf("first start did not print a password:\n%s", first)
	}
	second := start()
	if strings.Contains(second, m[1]) || strings.Contains(second, "password=") {
		t.Errorf("second start printed a password again:\n%s", second)
	}
	if !strings.Contains(second, "generated on first start is in use") {
		t.Errorf("second start gave no hint about the stored password:\n%s", second)
	}
}

// TestBrowserAdminTimeline signs in to the admin console in real Chromium,
// finds an order in the list and opens its timeline with the raw XML.
func TestBrowserAdminTimeline(t *testing.T) {
	const password = "e2e-admin-password"
	a := startApp(t, map[string]string{"ADMIN_PASSWORD": password})
	o, err := a.svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "MUG", Quantity: 2, ClientIP: "127.0.0.1"})
	must(t, err)
	tab := newBrowser(t)
	row := `tr[data-out-trade-no="` + o.OutTradeNo + `"]`
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/admin/orders?lang=zh"),
		chromedp.WaitVisible(`#password`),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(row),
	))
	if text := browse(t, tab, chromedp.Text(row)); !strings.Contains(text, "79.80") {
		t.Errorf("order row says %q, want ¥79.80", text)
	}
	if svg := browse(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('#paid-chart rect.bar').length`)); svg != 30 {
		t.Errorf("chart has %d bars, want 30", svg)
	}
	must(t, chromedp.Do(tab,
		chromedp.Click(row+` a`),
		chromedp.WaitVisible(`#timeline`),
		chromedp.Click(`li[data-kind="unifiedorder"] details summary`),
		chromedp.WaitVisible(`li[data-kind="unifiedorder"] details pre`),
	))
	raw := browse(t, tab, chromedp.Text(`li[data-kind="unifiedorder"] details pre`))
	if !strings.Contains(raw, "<out_trade_no>") || !strings.Contains(raw, o.OutTradeNo) {
		t.Errorf("raw unifiedorder request = %q", raw)
	}
	if id := browse(t, tab, chromedp.Text(`#out-trade-no`)); id != o.OutTradeNo {
		t.Errorf("order page is for %q, want %s", id, o.OutTradeNo)
	}
	must(t, chromedp.Do(tab, chromedp.Click(`#sync`), chromedp.WaitVisible(`#flash`)))
	if f := browse(t, tab, chromedp.Text(`#flash`)); !strings.Contains(f, "NOTPAY") {
		t.Errorf("flash after sync = %q", f)
	}
}
