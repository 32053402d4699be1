package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

const shopReturn = "https://shop.example/return?x=1#frag"

// placeEpay places an epay gateway order of ¥9.90 for app through the service.
func placeEpay(t *testing.T, r *testrig.Rig, app *models.MerchantApp, outTradeNo, name, returnURL string) *models.Order {
	t.Helper()
	o, created, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: outTradeNo,
		Name: name, Amount: 990, NotifyURL: "http://127.0.0.1:9/notify", ReturnURL: returnURL, Param: "uid=7",
		Style: models.NotifyEpay, ClientIP: "127.0.0.1"})
	if err != nil || !created {
		t.Fatalf("place gateway order: created %v, %v", created, err)
	}
	return o
}

// waitPaid waits for the simulator's asynchronous notification to be
// applied.
func waitPaid(t *testing.T, r *testrig.Rig, o *models.Order) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Order(t, o.OutTradeNo).Status != models.StatusPaid {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not PAID 10 s after the simulator paid it", o.OutTradeNo)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// appOf is the page's #app section: the page without the site's header.
func appOf(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `<section id="app"`)
	app, _, ok2 := strings.Cut(rest, "</section>")
	if !ok || !ok2 {
		t.Fatalf("no #app in the page:\n%s", page)
	}
	return app
}

// linkHref is the href of the <a> with the given id, unescaped.
func linkHref(t *testing.T, page, id string) (string, bool) {
	t.Helper()
	m := regexp.MustCompile(`<a id="` + id + `"[^>]*\shref="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func TestGatewayPaymentPageShowsTheMerchantAndReturnsThereWhenPaid(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "独角数卡 Shop")
	o := placeEpay(t, r, app, "D2026-0001", "<b>月卡</b> & VIP", shopReturn)
	b := r.Browser(t)

	page := get(t, b, r.App.URL+"/pay/"+o.Token)
	for _, want := range []string{`id="qr"`, `data-status="NOTPAY"`, `¥<span id="amount">9.90</span>`,
		`<dd id="merchant">独角数卡 Shop</dd>`, `<dd id="item">&lt;b&gt;月卡&lt;/b&gt; &amp; VIP</dd>`,
		`<dd id="merchant-out-trade-no">D2026-0001</dd>`, `<dd id="out-trade-no">` + o.OutTradeNo + `</dd>`, "商户订单号"} {
		if !strings.Contains(page, want) {
			t.Errorf("payment page lacks %s", want)
		}
	}
	for _, unwanted := range []string{`id="return"`, `href="/"`, "× 1", "<b>月卡"} {
		if strings.Contains(appOf(t, page), unwanted) {
			t.Errorf("unpaid gateway payment page has %s", unwanted)
		}
	}
	if strings.Contains(page, `href="/"`) {
		t.Error("the header of a gateway order's page links to the built-in shop")
	}

	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, r, o)
	page = get(t, b, r.App.URL+"/pay/"+o.Token)
	if !strings.Contains(page, `data-status="PAID"`) || !strings.Contains(page, `id="transaction-id"`) ||
		!strings.Contains(page, `id="return-note"`) || strings.Contains(appOf(t, page), `href="/"`) {
		t.Error("paid gateway page is not a receipt leading back to the merchant only")
	}
	href, ok := linkHref(t, page, "return")
	if !ok {
		t.Fatalf("receipt has no a#return:\n%s", page)
	}
	base, rest, _ := strings.Cut(href, "?")
	query, frag, _ := strings.Cut(rest, "#")
	if base != "https://shop.example/return" || !strings.HasPrefix(query, "x=1&") || frag != "frag" {
		t.Fatalf("a#return = %q, want the return_url with the parameters added before #frag", href)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(query, "x=1&"))
	if err != nil {
		t.Fatal(err)
	}
	added := map[string]string{}
	for k := range q {
		added[k] = q.Get(k)
	}
	if err := gateway.EpayVerify(added, app.Key); err != nil {
		t.Errorf("a#return's sign does not verify with the app's key: %v (%v)", err, added)
	}
	want := map[string]string{"pid": fmt.Sprint(app.Pid), "trade_no": o.OutTradeNo, "out_trade_no": "D2026-0001",
		"type": "wxpay", "name": "<b>月卡</b> & VIP", "money": "9.90", "trade_status": "TRADE_SUCCESS", "param": "uid=7",
		"sign_type": "MD5"}
	for k, v := range want {
		if added[k] != v {
			t.Errorf("a#return %s = %q, want %q", k, added[k], v)
		}
	}

	en := get(t, b, r.App.URL+"/pay/"+o.Token+"?lang=en")
	for _, want := range []string{"Back to the merchant", "Going back to the merchant in 3 seconds", "Merchant&#39;s order number"} {
		if !strings.Contains(en, want) {
			t.Errorf("English receipt lacks %q", want)
		}
	}
}

func TestGatewayPaymentPageSendsAnUnpaidShopperBackToOrderAgain(t *testing.T) {
	tests := []struct {
		name      string
		returnURL string
		end       func(t *testing.T, r *testrig.Rig, app *models.MerchantApp, o *models.Order)
		state     string
		hintZH    string
		hintEN    string
	}{
		{"expired", shopReturn, func(t *testing.T, r *testrig.Rig, _ *models.MerchantApp, _ *models.Order) {
			r.Clock.Advance(16 * time.Minute)
		}, "EXPIRED", "该订单未支付且已失效，请返回商户重新下单", "Go back to the merchant and order again"},
		{"closed by the merchant", shopReturn, func(t *testing.T, r *testrig.Rig, app *models.MerchantApp, o *models.Order) {
			r.Clock.Advance(6 * time.Minute)
			if _, err := r.Svc.CloseGatewayOrder(context.Background(), app, o.OutTradeNo); err != nil {
				t.Fatal(err)
			}
		}, "CLOSED", "该订单已关闭，请返回商户重新下单", "The order was closed"},
		{"expired without a return_url", "", func(t *testing.T, r *testrig.Rig, _ *models.MerchantApp, _ *models.Order) {
			r.Clock.Advance(16 * time.Minute)
		}, "EXPIRED", "请返回商户重新下单", "order again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testrig.New(t, testrig.Options{})
			app := r.MerchantApp(t, "v2board")
			o := placeEpay(t, r, app, "V-1", "套餐", tt.returnURL)
			tt.end(t, r, app, o)
			b := r.Browser(t)
			page := get(t, b, r.App.URL+"/pay/"+o.Token)
			if !strings.Contains(page, `data-state="`+tt.state+`"`) || !strings.Contains(page, tt.hintZH) {
				t.Errorf("page does not say %s and to order again at the merchant", tt.state)
			}
			for _, unwanted := range []string{`id="renew"`, `/renew"`, `name="csrf_token"`, `href="/"`, `id="return"`, `id="qr"`} {
				if strings.Contains(appOf(t, page), unwanted) {
					t.Errorf("%s gateway page has %s", tt.state, unwanted)
				}
			}
			href, ok := linkHref(t, page, "back-to-merchant")
			switch {
			case tt.returnURL == "" && ok:
				t.Errorf("a back-to-merchant link to %q without a return_url", href)
			case tt.returnURL != "" && href != tt.returnURL:
				t.Errorf("back-to-merchant link = %q (found %v), want the return_url as given, unsigned", href, ok)
			}
			if en := get(t, b, r.App.URL+"/pay/"+o.Token+"?lang=en"); !strings.Contains(en, tt.hintEN) {
				t.Errorf("English page lacks %q", tt.hintEN)
			}
		})
	}
}

// A return_url that is not http(s) never becomes a link, even if one got
// into the database past the checks at creation.
func TestGatewayPaymentPageNeverLinksAScriptURL(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	now := r.Clock.Now().UTC()
	for i, status := range []models.OrderStatus{models.StatusPaid, models.StatusClosed, models.StatusNotPay} {
		no, mno := fmt.Sprintf("EVIL%d", i), fmt.Sprintf("M%d", i)
		o := &models.Order{OutTradeNo: no, Token: fmt.Sprintf("eviltoken%04d", i), SKU: "app", Body: "x", Quantity: 1,
			UnitPrice: 1, TotalFee: 1, Status: status, Prepay: models.PrepayDone, TimeStart: now, ExpiresAt: now.Add(time.Minute),
			NextQueryAt: now.Add(time.Hour), CreatedAt: now,
			Merchant: models.Merchant{AppPid: app.Pid, MerchantTradeNo: &mno, ItemName: "x", NotifyURL: "http://127.0.0.1:9/n",
				ReturnURL: "javascript:alert(document.cookie)//", NotifyStyle: models.NotifyEpay}}
		if status == models.StatusPaid {
			o.PaidAt, o.TransactionID = &now, "4200000001"+no
		}
		if _, err := r.Store.CreateGatewayOrder(context.Background(), o,
			&models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "test", Summary: "crafted"}); err != nil {
			t.Fatal(err)
		}
		r.Clock.Advance(2 * time.Minute) // the NOTPAY one is now expired
		page := get(t, r.Browser(t), r.App.URL+"/pay/"+o.Token)
		if strings.Contains(strings.ToLower(page), "javascript:") {
			t.Errorf("%s page links the script URL:\n%s", status, page)
		}
		for _, id := range []string{"return", "back-to-merchant"} {
			if href, ok := linkHref(t, page, id); ok {
				t.Errorf("%s page has a#%s to %q", status, id, href)
			}
		}
		if !strings.Contains(page, `id="out-trade-no"`) {
			t.Errorf("%s page is not the order's page", status)
		}
	}
}

// The shop's own orders keep their page: product × quantity, a renew form
// once expired, a link back to the shop, nothing of a merchant.
func TestShopPaymentPageHasNoMerchantParts(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 2)
	b := r.Browser(t)
	page := get(t, b, r.App.URL+"/pay/"+o.Token)
	if !strings.Contains(page, `class="brand" href="/"`) {
		t.Error("the header of a shop order's page does not link to the shop")
	}
	if !strings.Contains(page, `<tr class="order-item"><td>咖啡豆</td><td class="num">2</td><td class="num">¥116.00</td></tr>`) || !strings.Contains(appOf(t, page), `href="/"`) {
		t.Error("shop payment page lacks its product line or the link back to the shop")
	}
	r.Clock.Advance(16 * time.Minute)
	page = get(t, b, r.App.URL+"/pay/"+o.Token)
	if !strings.Contains(page, `id="renew"`) || !strings.Contains(appOf(t, page), `href="/"`) {
		t.Error("expired shop order offers no renewal or no way back to the shop")
	}
	for _, unwanted := range []string{`id="merchant"`, `id="merchant-out-trade-no"`, `id="item"`, `id="back-to-merchant"`, `id="return"`, "商户"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("shop order page has %s", unwanted)
		}
	}
}
