package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

var v3Env = map[string]string{"WXPAY_API_VERSION": "v3"}

// The whole purchase in Chromium with WXPAY_API_VERSION=v3 and nothing
// else, as `WXPAY_API_VERSION=v3 go run .` starts it: the shop, the
// checkout (a v3 Native order), the simulator's phone page, the v3
// notification (signed, encrypted) and the receipt.
func TestBrowserPurchaseV3(t *testing.T) {
	a := startApp(t, v3Env)
	tab := newBrowser(t)
	buyButton := `li[data-sku="COFFEE-250"] button.buy-now`
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/?lang=zh"),
		chromedp.WaitVisible(buyButton),
		chromedp.Click(buyButton),
		chromedp.WaitVisible(`#qr`),
	))
	payURL := browse(t, tab, chromedp.Location())
	qrShot := browse(t, tab, chromedp.Screenshot(`#qr`))
	token := payURL[strings.LastIndex(payURL, "/")+1:]
	o, err := a.svc.OrderByToken(context.Background(), token)
	if err != nil {
		t.Fatalf("order for %s: %v", payURL, err)
	}
	if got := testrig.DecodeQR(t, qrShot); got != o.CodeURL || !strings.HasPrefix(got, "weixin://wxpay/bizpayurl") {
		t.Fatalf("the QR shown says %q, want the order's code_url %q", got, o.CodeURL)
	}

	scan := browse(t, tab, chromedp.AttributeValue(`#simulate-scan`, "href"))
	phone, cancel := chromedp.NewContext(tab)
	defer cancel()
	must(t, chromedp.Do(phone,
		chromedp.Navigate(a.URL()+scan.Value),
		chromedp.WaitVisible(`button[value=pay]`),
		chromedp.Click(`button[value=pay]`),
		chromedp.WaitVisible(`#result[data-result="paid"]`),
	))

	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#status[data-status="PAID"]`)))
	receipt := browse(t, tab, chromedp.Text(`#app`))
	paid, _ := a.svc.OrderByToken(context.Background(), token)
	if paid.Status != models.StatusPaid || !strings.Contains(receipt, paid.TransactionID) || !strings.Contains(receipt, "58.00") {
		t.Errorf("order %s, receipt %q: want PAID showing transaction %s and ¥58.00", paid.Status, receipt, paid.TransactionID)
	}
	checkV3Timeline(t, a, paid)
}

// checkV3Timeline: the order went through v3 — a JSON Native order to
// /v3/pay/transactions/native with a Beijing time_expire and the v3 notify
// URL, and a v3 notification applied through the one path to PAID — and
// no key is in the timeline.
func checkV3Timeline(t *testing.T, a *app, o *models.Order) {
	t.Helper()
	evs, err := a.svc.Events(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var order, notices, transitions int
	keys, err := a.simV3Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		switch {
		case ev.Kind == models.EventUnifiedOrder:
			order++
			if !strings.Contains(ev.Request, `"time_expire":"`) || !strings.Contains(ev.Request, `+08:00"`) ||
				!strings.Contains(ev.Request, `"notify_url":"`+a.cfg.PublicURL+`/wxpay/v3/notify"`) {
				t.Errorf("order call = %s, want v3 JSON with a Beijing time_expire and the v3 notify URL", ev.Request)
			}
		case ev.Kind == models.EventNotifyV3:
			notices++
			if !ev.OK || !strings.Contains(ev.Request, `"trade_state":"SUCCESS"`) {
				t.Errorf("v3 notification entry = %+v, want the decrypted, applied transaction", ev)
			}
		case ev.Kind == models.EventStatus && strings.Contains(ev.Summary, "→ PAID"):
			transitions++
		}
		for _, secret := range []string{keys.APIv3Key, "PRIVATE KEY"} {
			if strings.Contains(ev.Request+ev.Response+ev.Summary, secret) {
				t.Errorf("timeline entry %s holds a key", ev.Kind)
			}
		}
	}
	if order != 1 || notices < 1 || transitions != 1 {
		t.Errorf("timeline: %d order calls, %d v3 notifications, %d PAID transitions; want 1, ≥1, 1", order, notices, transitions)
	}
}

// The built-in simulator's v3 keys are made once and kept in the database:
// after a restart the app and the simulator still agree, and an order
// placed before the restart is found with them.
func TestBuiltinSimulatorV3KeysSurviveRestart(t *testing.T) {
	env := map[string]string{"WXPAY_API_VERSION": "v3", "DATABASE_URL": testrig.DatabaseURL(t)}
	ctx := context.Background()
	a, stop := launchApp(t, env)
	before, err := a.simV3Keys()
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.svc.PlaceOrder(ctx, checkout.PlaceRequest{SKU: "PENNY", Quantity: 1, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("v3 checkout: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("app shutdown: %v", err)
	}
	a = startApp(t, env)
	after, err := a.simV3Keys()
	if err != nil {
		t.Fatal(err)
	}
	if !before.MchKey.Equal(after.MchKey) || before.PublicKeyID != after.PublicKeyID || before.APIv3Key != after.APIv3Key {
		t.Fatal("the v3 keys changed across a restart")
	}
	if err := a.svc.Sync(ctx, o.OutTradeNo, "test"); err != nil {
		t.Errorf("query after restart: %v", err)
	}
	if got, _ := a.svc.OrderByOutTradeNo(ctx, o.OutTradeNo); got.Status != models.StatusNotPay {
		t.Errorf("order after restart = %s, want NOTPAY", got.Status)
	}
}
