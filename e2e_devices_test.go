package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// User-Agents of the devices the payment page tells apart (SPEC §9).
const (
	uaWeChat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
		"Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"
	uaPhone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) " +
		"Chrome/126.0.0.0 Mobile Safari/537.36"
)

// newBrowserAs is newBrowser with another User-Agent.
func newBrowserAs(t testing.TB, ua string) context.Context {
	t.Helper()
	return newBrowserWith(t, chromedp.UserAgent(ua))
}

// buy puts one COFFEE-250 in an order from the shop page and returns the
// order's token once the browser has left the shop.
func buy(t *testing.T, a *app, tab context.Context) string {
	t.Helper()
	buyButton := `li[data-sku="COFFEE-250"] button.buy-now`
	must(t, chromedp.Do(tab, chromedp.Navigate(a.cfg.PublicURL+"/?lang=zh"), chromedp.WaitVisible(buyButton), chromedp.Click(buyButton)))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		loc := browse(t, tab, chromedp.Location())
		if i := strings.Index(loc, "/pay/"); i >= 0 {
			tok := loc[i+len("/pay/"):]
			if j := strings.IndexAny(tok, "/?"); j >= 0 {
				tok = tok[:j]
			}
			return tok
		}
		if strings.Contains(loc, "/sim/connect/oauth2/authorize") {
			u, _ := url.Parse(loc)
			ru, _ := url.Parse(u.Query().Get("redirect_uri"))
			return strings.TrimSuffix(strings.TrimPrefix(ru.Path, "/pay/"), "/oauth")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the checkout did not lead to a payment page: at %s", browse(t, tab, chromedp.Location()))
	return ""
}

// TestBrowserJSAPIInsideWeChat pays inside "WeChat": the payment page sends
// the shopper through the official account's OAuth (the simulator's consent
// page), places a JSAPI order with the openid, and opens the payment sheet
// with WeixinJSBridge (the simulator's stand-in); the page becomes the
// receipt by itself. The OAuth return cannot be replayed.
func TestBrowserJSAPIInsideWeChat(t *testing.T) {
	for _, v := range []string{"v2", "v3"} {
		t.Run(v, func(t *testing.T) { testBrowserJSAPI(t, map[string]string{"WXPAY_API_VERSION": v}) })
	}
}

func testBrowserJSAPI(t *testing.T, env map[string]string) {
	a := startApp(t, env)
	tab := newBrowserAs(t, uaWeChat)
	token := buy(t, a, tab)
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#sim-oauth-allow`)))
	consent := browse(t, tab, chromedp.Text(`body`))
	if !strings.Contains(consent, "openid") {
		t.Errorf("consent page says %q", consent)
	}
	must(t, chromedp.Do(tab, chromedp.Click(`#sim-oauth-allow`), chromedp.WaitVisible(`#jsapi-pay`)))
	// The sheet opens by itself once the bridge is ready; pay in it.
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#sim-jsapi-pay`), chromedp.Click(`#sim-jsapi-pay`),
		chromedp.WaitVisible(`#status[data-status="PAID"]`)))

	o, err := a.svc.OrderByToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != models.StatusPaid || o.PaidTradeNo == "" || o.PaidTradeNo == o.OutTradeNo {
		t.Fatalf("order %s paid through %q: want PAID through its own JSAPI WeChat order", o.Status, o.PaidTradeNo)
	}
	ws, err := a.store.WxOrders(context.Background(), o.ID)
	if err != nil || len(ws) != 1 || ws[0].TradeType != wxpay.TradeJSAPI || ws[0].OutTradeNo != o.PaidTradeNo {
		t.Fatalf("WeChat orders %+v (%v): want the one JSAPI order that was paid", ws, err)
	}
	if want := a.sim.OpenID(a.cfg.AppID, "alice"); o.OpenID != want || ws[0].OpenID != want {
		t.Errorf("openid %q on the order, %q on the JSAPI order; want alice's %q", o.OpenID, ws[0].OpenID, want)
	}
	st, err := a.svc.StatusByToken(context.Background(), token)
	if err != nil || st.OutTradeNo != o.OutTradeNo {
		t.Errorf("status names %q (%v), want the order's own number %s", st.OutTradeNo, err, o.OutTradeNo)
	}

	// A forged OAuth return answers 400 and places nothing.
	must(t, chromedp.Do(tab, chromedp.Navigate(a.URL()+"/pay/"+token+"/oauth?code=forged&state=forged.forged"),
		chromedp.WaitVisible(`#error-message`)))
	replay := browse(t, tab, chromedp.Text(`#error-message`))
	if ws2, _ := a.store.WxOrders(context.Background(), o.ID); len(ws2) != 1 {
		t.Errorf("a forged OAuth return placed a WeChat order: %d now", len(ws2))
	}
	if replay == "" {
		t.Error("the forged OAuth return shows no message")
	}
}

// TestBrowserH5InPhoneBrowser pays in a phone's browser outside WeChat: the
// page offers H5, the button goes to WeChat's cashier (the simulator's, which
// checks the shopper's IP), paying there comes back to the page, which shows
// the receipt.
func TestBrowserH5InPhoneBrowser(t *testing.T) {
	for _, v := range []string{"v2", "v3"} {
		t.Run(v, func(t *testing.T) { testBrowserH5(t, map[string]string{"WXPAY_API_VERSION": v}) })
	}
}

func testBrowserH5(t *testing.T, env map[string]string) {
	a := startApp(t, env)
	tab := newBrowserAs(t, uaPhone)
	token := buy(t, a, tab)
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#h5-pay`)))
	html := browse(t, tab, chromedp.OuterHTML(`#app`))
	if strings.Contains(html, `id="qr"`) || !strings.Contains(html, `id="show-qr"`) || strings.Contains(html, "长按") {
		t.Errorf("the phone's page should offer H5 and a way to the QR, never long-press:\n%s", html)
	}
	must(t, chromedp.Do(tab, chromedp.Click(`#h5-pay`), chromedp.WaitVisible(`#sim-h5-pay`)))
	cashier := browse(t, tab, chromedp.Location())
	if !strings.Contains(cashier, "/sim/checkmweb?") || !strings.Contains(cashier, "redirect_url=") {
		t.Errorf("the H5 button led to %s, want the cashier with redirect_url", cashier)
	}
	must(t, chromedp.Do(tab, chromedp.Click(`#sim-h5-pay`), chromedp.WaitVisible(`#status[data-status="PAID"]`)))
	loc := browse(t, tab, chromedp.Location())
	if !strings.Contains(loc, "/pay/"+token) {
		t.Errorf("back at %s, want the payment page", loc)
	}
	o, err := a.svc.OrderByToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := a.store.WxOrders(context.Background(), o.ID)
	if o.Status != models.StatusPaid || len(ws) != 1 || ws[0].TradeType != wxpay.TradeMWEB || o.PaidTradeNo != ws[0].OutTradeNo {
		t.Fatalf("order %s paid through %q, WeChat orders %+v: want PAID through its MWEB order", o.Status, o.PaidTradeNo, ws)
	}
	if ws[0].ClientIP != "127.0.0.1" {
		t.Errorf("spbill_create_ip %q, want the shopper's 127.0.0.1", ws[0].ClientIP)
	}
}
