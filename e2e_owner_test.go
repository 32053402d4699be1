package main

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"wxcheckout/models"
)

// TestBrowserOwnerRunsAShop is issue 16's walkthrough in real Chromium, on
// a shop that starts empty (DEMO_PRODUCTS=0, as in real mode): the owner
// names the shop and adds a product with a picture and another without;
// a shopper buys two of one and one of the other with a shipping address
// and pays; the owner sees the order with its lines and address and marks
// it shipped. The main pages are then photographed in both languages and
// their key elements checked visible (screenshotPages).
func TestBrowserOwnerRunsAShop(t *testing.T) {
	const password = "e2e-owner-password"
	a := startApp(t, map[string]string{"ADMIN_PASSWORD": password, "DEMO_PRODUCTS": "0"})
	owner := newBrowser(t)
	must(t, chromedp.Do(owner,
		chromedp.Navigate(a.URL()+"/admin?lang=zh"),
		chromedp.WaitVisible(`#password`),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#add-first-product`), // an empty shop lands on its products
	))
	ownerSetsUpTheShop(t, a, owner)

	shopper := newBrowser(t)
	must(t, chromedp.Do(shopper, chromedp.Navigate(a.URL()+"/?lang=zh"), chromedp.WaitVisible(`#shop-name`)))
	if body := browse(t, shopper, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(body, "示例") || strings.Contains(body, "COFFEE") || strings.Contains(body, "PENNY") {
		t.Error("the shop shows something of the demo")
	}
	no, token := shopperBuysTwoProducts(t, a, shopper)

	must(t, chromedp.Do(owner,
		chromedp.Navigate(a.URL()+"/admin/orders/"+no),
		chromedp.WaitVisible(`#fulfilment-form`),
	))
	if addr := browse(t, owner, chromedp.Text(`#buyer-address`)); !strings.Contains(addr, "文三路 100 号") {
		t.Errorf("the admin shows the address %q", addr)
	}
	if n := browse(t, owner, chromedp.Evaluate[int](`document.querySelectorAll("#order-items tr.item").length`)); n != 2 {
		t.Errorf("the admin shows %d order lines, want 2", n)
	}
	must(t, chromedp.Do(owner,
		chromedp.SetValue(`#fulfilment`, "shipped"),
		chromedp.SendKeys(`#tracking-no`, "SF1234567890"),
		chromedp.Click(`#fulfilment-save`),
		chromedp.WaitVisible(`#tracking-no-now`),
	))
	o, err := a.svc.OrderByOutTradeNo(context.Background(), no)
	must(t, err)
	if o.Fulfilment != models.FulfilShipped || o.TrackingNo != "SF1234567890" || o.ShippedAt == nil {
		t.Errorf("order fulfilment %q tracking %q shipped %v, want shipped SF1234567890", o.Fulfilment, o.TrackingNo, o.ShippedAt)
	}
	if now := browse(t, owner, chromedp.Text(`#fulfilment-now`)); !strings.Contains(now, "已发货") {
		t.Errorf("the order page says %q after shipping", now)
	}
	screenshotPages(t, a, owner, shopper, no, token)
}

// ownerSetsUpTheShop names the shop, asks for a shipping address and adds
// two products, one with a picture and five in stock.
func ownerSetsUpTheShop(t *testing.T, a *app, owner context.Context) {
	t.Helper()
	pic := filepath.Join(t.TempDir(), "tea.png")
	writeTestPNG(t, pic, 480, 360)
	must(t, chromedp.Do(owner,
		chromedp.Click(`#add-first-product`),
		chromedp.WaitVisible(`#product-form`),
		chromedp.SendKeys(`#sku`, "TEA-BAI"),
		chromedp.SendKeys(`#name`, "福鼎白茶 100g"),
		chromedp.SendKeys(`#name_en`, "Fuding white tea, 100 g"),
		chromedp.SendKeys(`#description`, "三年陈 · 寿眉"),
		chromedp.SendKeys(`#price`, "68"),
		chromedp.SendKeys(`#stock`, "5"),
		chromedp.SetUploadFiles(`#image`, []string{pic}),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#notice`),
		chromedp.Navigate(a.URL()+"/admin/products/new"),
		chromedp.WaitVisible(`#product-form`),
		chromedp.SendKeys(`#sku`, "CUP"),
		chromedp.SendKeys(`#name`, "青瓷茶杯"),
		chromedp.SendKeys(`#name_en`, "Celadon teacup"),
		chromedp.SendKeys(`#price`, "25.50"),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#notice`),
		chromedp.Navigate(a.URL()+"/admin/settings"),
		chromedp.WaitVisible(`#settings-form`),
		chromedp.SetValue(`#shop_name`, "山间茶铺"),
		chromedp.SetValue(`#shop_name_en`, "Mountain Tea House"),
		chromedp.SetValue(`#merchant_name`, "杭州山间贸易有限公司"),
		chromedp.SetValue(`#contact`, "0571-88886666"),
		chromedp.Click(`input[name=ask_name]`),
		chromedp.Click(`input[name=ask_phone]`),
		chromedp.Click(`input[name=ask_address]`),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#notice`),
	))
	ps, err := a.svc.AllProducts(context.Background())
	must(t, err)
	if len(ps) != 2 || ps[0].ImageID == 0 || ps[0].Price != 6800 || ps[0].Stock == nil || *ps[0].Stock != 5 || ps[1].Price != 2550 || ps[1].Stock != nil {
		t.Fatalf("products after the owner's forms: %+v", ps)
	}
}

// shopperBuysTwoProducts puts 2 × TEA-BAI and 1 × CUP in the cart, gives a
// shipping address, pays at the simulator and checks the receipt; it
// returns the order's number and token.
func shopperBuysTwoProducts(t *testing.T, a *app, tab context.Context) (no, token string) {
	t.Helper()
	tea := `li[data-sku="TEA-BAI"]`
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/?lang=zh"),
		chromedp.WaitVisible(tea+` img`),
		chromedp.SetValue(tea+` input[name=qty]`, "2"),
		chromedp.Click(tea+` button.add-to-cart`),
		chromedp.WaitVisible(`#cart`),
		chromedp.Navigate(a.URL()+"/"),
		chromedp.WaitVisible(`li[data-sku="CUP"] button.add-to-cart`),
		chromedp.Click(`li[data-sku="CUP"] button.add-to-cart`),
		chromedp.WaitVisible(`#checkout-form`),
	))
	if total := browse(t, tab, chromedp.Text(`#cart-total`)); total != "¥161.50" {
		t.Errorf("cart total %q, want ¥161.50", total)
	}
	must(t, chromedp.Do(tab,
		chromedp.SendKeys(`#buyer_name`, "李四"),
		chromedp.SendKeys(`#buyer_phone`, "13900139000"),
		chromedp.SendKeys(`#buyer_address`, "浙江省杭州市西湖区文三路 100 号"),
		chromedp.Click(`#pay-button`),
		chromedp.WaitVisible(`#qr`),
	))
	if m := browse(t, tab, chromedp.Text(`#merchant-name`)); m != "杭州山间贸易有限公司" {
		t.Errorf("the payment page names the merchant %q", m)
	}
	loc := browse(t, tab, chromedp.Location())
	token = loc[strings.LastIndex(loc, "/")+1:]
	o, err := a.svc.OrderByToken(context.Background(), token)
	must(t, err)
	if o.TotalFee != 16150 || o.Buyer.Address != "浙江省杭州市西湖区文三路 100 号" {
		t.Errorf("order total %d, buyer %+v", o.TotalFee, o.Buyer)
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
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#status[data-status="PAID"]`), chromedp.WaitVisible(`#receipt`)))
	receipt := browse(t, tab, chromedp.Text(`#receipt`))
	for _, want := range []string{"杭州山间贸易有限公司", "福鼎白茶", "青瓷茶杯", "161.50", "文三路 100 号"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, receipt)
		}
	}
	ps, err := a.svc.AllProducts(context.Background())
	must(t, err)
	if ps[0].Stock == nil || *ps[0].Stock != 3 {
		t.Errorf("TEA-BAI stock after paying for two: %v, want 3", ps[0].Stock)
	}
	return o.OutTradeNo, token
}

// writeTestPNG draws a picture of w×h: the owner's product photo.
func writeTestPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40 + x*160/w), uint8(120 + y*100/h), 90, 255})
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, png.Encode(f, img))
}

// TestRealModeStartsEmpty: a real shop (WXPAY_MCH_ID set) goes live with
// nothing of the demo — no products, no ¥0.01 item, no demo name — and its
// admin asks for the first product.
func TestRealModeStartsEmpty(t *testing.T) {
	const password = "real-mode-password"
	a := startApp(t, map[string]string{"WXPAY_MCH_ID": "1230000109", "WXPAY_APPID": "wx0123456789abcdef",
		"WXPAY_API_KEY": "0123456789abcdef0123456789abcdef", "WXPAY_API_BASE": "http://127.0.0.1:9",
		"PUBLIC_URL": "https://shop.example.com", "ADMIN_PASSWORD": password})
	ps, err := a.svc.AllProducts(context.Background())
	must(t, err)
	if len(ps) != 0 {
		t.Fatalf("a real shop starts with %d products, want none", len(ps))
	}
	resp, err := http.Get(a.URL() + "/?lang=zh")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, demo := range []string{"示例", "demo", "Demo", "PENNY", "一分钱", "simulate-scan"} {
		if strings.Contains(string(body), demo) {
			t.Errorf("the real shop's page shows %q", demo)
		}
	}
	if !strings.Contains(string(body), "在线商店") {
		t.Errorf("an unnamed real shop should call itself 在线商店:\n%s", body)
	}
}
