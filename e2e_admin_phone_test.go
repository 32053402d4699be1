package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// TestBrowserAdminOnAPhone opens the orders list and an order at a phone's
// width in real Chromium: nothing scrolls the page sideways, the buttons
// are big enough to tap, and closing an order asks first (a "no" keeps it
// open).
func TestBrowserAdminOnAPhone(t *testing.T) {
	const password = "e2e-admin-password"
	a := startApp(t, map[string]string{"ADMIN_PASSWORD": password})
	o, err := a.svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "MUG", Quantity: 2, ClientIP: "127.0.0.1"})
	must(t, err)
	tab := newBrowser(t)
	row := `tr[data-out-trade-no="` + o.OutTradeNo + `"]`
	must(t, chromedp.Do(tab,
		chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(a.URL()+"/admin/orders?lang=en"),
		chromedp.WaitVisible(`#password`),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(row),
	))
	noSideways := `document.documentElement.scrollWidth <= window.innerWidth`
	if !browse(t, tab, chromedp.Evaluate[bool](noSideways)) {
		t.Errorf("the orders list scrolls sideways at 375 px: %d", browse(t, tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)))
	}
	if label := browse(t, tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+row+` td.status'), '::before').content`)); !strings.Contains(label, "Status") {
		t.Errorf("the order card's status cell is labelled %q, want Status", label)
	}
	small := browse(t, tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('main button, .admin-nav a, #filters select, #filters input')).filter(e => e.offsetParent && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 60))`))
	if len(small) > 0 {
		t.Errorf("tap targets under 44 px: %v", small)
	}
	must(t, chromedp.Do(tab, chromedp.Click(row+` a`), chromedp.WaitVisible(`#close`)))
	if !browse(t, tab, chromedp.Evaluate[bool](noSideways)) {
		t.Error("the order page scrolls sideways at 375 px")
	}
	asked := browse(t, tab, chromedp.Evaluate[string](`window.__asked = ""; window.confirm = function (q) { window.__asked = q; return false; };
		document.querySelector('#close').click(); window.__asked`))
	if !strings.Contains(asked, o.OutTradeNo) || !strings.Contains(asked, "¥") {
		t.Errorf("closing asked %q, want a question naming the order and its amount", asked)
	}
	got, err := a.svc.OrderByOutTradeNo(context.Background(), o.OutTradeNo)
	must(t, err)
	if got.Status != models.StatusNotPay {
		t.Errorf("after answering no the order is %s, want NOTPAY", got.Status)
	}
}
