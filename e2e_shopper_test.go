package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"wxcheckout/models"
)

// TestBrowserCartAddressReceipt: a shopper puts two products in the cart,
// gives a shipping address, pays, sees the QR's expiry warning and prints
// the receipt, which names the merchant and the address.
func TestBrowserCartAddressReceipt(t *testing.T) {
	a := startApp(t, nil)
	set := models.ShopSettings{ShopName: "山间小铺", ShopNameEN: "Mountain shop", MerchantName: "杭州山间贸易有限公司", Contact: "0571-88886666",
		Footer: "每日 9:00–18:00 发货", Ask: models.BuyerFields{Name: true, Phone: true, Address: true}}
	must(t, a.svc.SaveShopSettings(context.Background(), set))
	tab := newBrowser(t)
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/?lang=zh"),
		chromedp.WaitVisible(`#shop-footer`),
		chromedp.Click(`li[data-sku="COFFEE-250"] button.add-to-cart`),
		chromedp.WaitVisible(`#cart`),
		chromedp.Navigate(a.URL()+"/"),
		chromedp.Click(`li[data-sku="TEA-LONGJING"] button.add-to-cart`),
		chromedp.WaitVisible(`#checkout-form`),
	))
	if total := browse(t, tab, chromedp.Text(`#cart-total`)); total != "¥186.00" {
		t.Errorf("cart total %q, want ¥186.00", total)
	}
	if btn := browse(t, tab, chromedp.Text(`#pay-button`)); btn != "微信支付 ¥186.00" {
		t.Errorf("pay button says %q", btn)
	}
	must(t, chromedp.Do(tab,
		chromedp.SendKeys(`#buyer_name`, "张三"),
		chromedp.SendKeys(`#buyer_phone`, "13800138000"),
		chromedp.SendKeys(`#buyer_address`, "浙江省杭州市西湖区文三路 100 号"),
		chromedp.Click(`#pay-button`),
		chromedp.WaitVisible(`#qr`),
		chromedp.WaitVisible(`#wechatpay-mark`),
	))
	if m := browse(t, tab, chromedp.Text(`#merchant-name`)); m != set.MerchantName {
		t.Errorf("merchant %q", m)
	}
	// Under a minute left: the countdown turns into a visible alert.
	browse(t, tab, chromedp.Evaluate[bool](`(document.getElementById("countdown").dataset.expires = String(Date.now() + 30000)) !== ""`))
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#expiry-warning[role=alert]`)))
	if w := browse(t, tab, chromedp.Text(`#expiry-warning`)); !strings.Contains(w, "即将过期") {
		t.Errorf("expiry warning says %q", w)
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
	must(t, chromedp.Do(tab,
		chromedp.WaitVisible(`#status[data-status="PAID"]`),
		chromedp.WaitVisible(`#print-receipt`),
	))
	browse(t, tab, chromedp.Evaluate[bool](`(window.print = function () { window.__printed = true; }) !== null`))
	must(t, chromedp.Do(tab, chromedp.Click(`#print-receipt`)))
	if !browse(t, tab, chromedp.Evaluate[bool](`window.__printed === true`)) {
		t.Error("the print button did not print")
	}
	receipt := browse(t, tab, chromedp.Text(`#receipt`))
	for _, want := range []string{"杭州山间贸易有限公司", "0571-88886666", "文三路 100 号", "186.00", "西湖龙井"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
}
