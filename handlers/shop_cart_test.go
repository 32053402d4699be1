package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// noFollow is b without following redirects, sharing its cookie jar.
func noFollow(b *http.Client) *http.Client {
	nb := *b
	nb.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &nb
}

func postCart(t *testing.T, r *testrig.Rig, b *http.Client, form url.Values) *http.Response {
	t.Helper()
	resp, err := noFollow(b).PostForm(r.App.URL+"/cart", form)
	if err != nil {
		t.Fatal(err)
	}
	testrig.ReadAll(t, resp)
	return resp
}

func askAll(t *testing.T, r *testrig.Rig) {
	t.Helper()
	set := models.ShopSettings{ShopName: "山间小铺", ShopNameEN: "Mountain shop", MerchantName: "杭州山间贸易有限公司", Contact: "0571-88886666",
		Ask: models.BuyerFields{Name: true, Phone: true, Address: true, Note: true}}
	if err := r.Svc.SaveShopSettings(t.Context(), set); err != nil {
		t.Fatal(err)
	}
}

func TestShopPageButtonsSayWhatTheyBuy(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, _ := shopper(t, r)
	page := get(t, b, r.App.URL+"/?lang=zh")
	for _, want := range []string{`class="wechat buy-now">立即购买 · ¥58.00</button>`, `formaction="/cart" name="action" value="add">加入购物车</button>`,
		`id="cart-link"`, `<span id="cart-count">0</span>`, `id="lang-switch" href="/?lang=en"`} {
		if !strings.Contains(page, want) {
			t.Errorf("shop page lacks %s", want)
		}
	}
	page = get(t, b, r.App.URL+"/?lang=en")
	if !strings.Contains(page, "Buy now · ¥58.00") || !strings.Contains(page, "Add to cart") || !strings.Contains(page, "Coffee beans") {
		t.Error("English shop page lacks its buttons or English names")
	}
}

func TestCartAddSetRemove(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	steps := []struct {
		form       url.Values
		wantCookie string
	}{
		{url.Values{"action": {"add"}, "sku": {"COFFEE"}, "qty": {"2"}}, "COFFEE:2"},
		{url.Values{"action": {"add"}, "sku": {"PENNY"}}, "COFFEE:2,PENNY:1"},
		{url.Values{"action": {"add"}, "sku": {"COFFEE"}, "qty": {"1"}}, "COFFEE:3,PENNY:1"},
		{url.Values{"action": {"set"}, "sku": {"PENNY"}, "qty": {"5"}}, "COFFEE:3,PENNY:5"},
		{url.Values{"action": {"remove"}, "sku": {"COFFEE"}}, "PENNY:5"},
		{url.Values{"action": {"set"}, "sku": {"PENNY"}, "qty": {"0"}}, ""},
	}
	for i, s := range steps {
		s.form.Set("csrf_token", csrf)
		resp := postCart(t, r, b, s.form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cart" {
			t.Fatalf("step %d: POST /cart = %d → %q", i, resp.StatusCode, resp.Header.Get("Location"))
		}
		if got, _ := url.QueryUnescape(testrig.Cookie(t, b, r.App.URL, "cart")); got != s.wantCookie {
			t.Errorf("step %d: cart = %q, want %q", i, got, s.wantCookie)
		}
		if i == 3 {
			page := get(t, b, r.App.URL+"/cart?lang=zh")
			if !strings.Contains(page, `id="cart-total">¥174.05</td>`) || !strings.Contains(page, "微信支付 ¥174.05") || !strings.Contains(page, "咖啡豆") {
				t.Errorf("cart page lacks the server-priced total ¥174.05:\n%s", page)
			}
			if home := get(t, b, r.App.URL+"/"); !strings.Contains(home, `<span id="cart-count">8</span>`) {
				t.Error("shop's cart link does not count 8 pieces")
			}
		}
	}
	for _, bad := range []url.Values{
		{"action": {"add"}, "sku": {"NOPE"}},
		{"action": {"add"}, "sku": {"COFFEE"}, "qty": {"100"}},
		{"action": {"explode"}, "sku": {"COFFEE"}},
		{"action": {"add"}, "sku": {"CO:FFEE,X"}},
	} {
		bad.Set("csrf_token", csrf)
		if resp := postCart(t, r, b, bad); resp.StatusCode < 400 {
			t.Errorf("POST /cart %v = %d, want a refusal", bad, resp.StatusCode)
		}
	}
	if resp := postCart(t, r, b, url.Values{"action": {"add"}, "sku": {"COFFEE"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /cart without csrf = %d, want 403", resp.StatusCode)
	}
}

func TestCartMalformedCookieIsAnEmptyCart(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	for _, v := range []string{"garbage", "COFFEE:0", "COFFEE:x", "COFFEE:1,COFFEE:2", ":1", "COFFEE:100", strings.Repeat("A:1,", 30) + "B:1"} {
		req, _ := http.NewRequest("GET", r.App.URL+"/cart", nil)
		req.AddCookie(&http.Cookie{Name: "cart", Value: v})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="cart-empty"`) {
			t.Errorf("cart %q: %d, want 200 and an empty cart", v, resp.StatusCode)
		}
	}
	// A product no longer on sale is named and dropped.
	req, _ := http.NewRequest("GET", r.App.URL+"/cart", nil)
	req.AddCookie(&http.Cookie{Name: "cart", Value: "GONE:1,COFFEE:1"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := testrig.ReadAll(t, resp)
	if !strings.Contains(body, `class="note gone" data-sku="GONE"`) || !strings.Contains(body, `id="cart-total">¥58.00`) {
		t.Errorf("gone product not noted or total wrong:\n%s", body)
	}
	if !strings.Contains(resp.Header.Get("Set-Cookie"), "cart="+url.QueryEscape("COFFEE:1")) {
		t.Errorf("cart cookie not rewritten without the gone product: %q", resp.Header.Get("Set-Cookie"))
	}
}

func TestCheckoutSeveralLinesWithBuyerFromServerPrices(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askAll(t, r)
	b, csrf := shopper(t, r)
	postCart(t, r, b, url.Values{"csrf_token": {csrf}, "action": {"add"}, "sku": {"COFFEE"}, "qty": {"2"}})
	page := get(t, b, r.App.URL+"/cart?lang=zh")
	for _, want := range []string{`id="buyer_name" name="buyer_name" type="text" value="" autocomplete="name" required`,
		`id="buyer_phone" name="buyer_phone" type="tel" value="" autocomplete="tel" required`,
		`<textarea id="buyer_address" name="buyer_address" rows="3" autocomplete="street-address" required`,
		`<textarea id="buyer_note" name="buyer_note"`, `id="pay-button"`, "微信支付 ¥116.00"} {
		if !strings.Contains(page, want) {
			t.Errorf("checkout form lacks %s", want)
		}
	}
	form := url.Values{"csrf_token": {csrf}, "from": {"cart"}, "sku": {"COFFEE", "PENNY"}, "qty": {"2", "3"},
		"price": {"1"}, "total_fee": {"1"}, "amount": {"0.01"},
		"buyer_name": {" 张三 "}, "buyer_phone": {"138 0013 8000"}, "buyer_address": {"浙江省杭州市西湖区文三路 100 号\r\n3 单元 501"}, "buyer_note": {"工作日送达"}}
	o := orderByLocation(t, r, buy(t, r, noFollow(b), form))
	if o.TotalFee != 2*5800+3*1 {
		t.Errorf("total = %d, want %d from the server's prices", o.TotalFee, 2*5800+3)
	}
	items, err := r.Svc.OrderItems(t.Context(), o)
	if err != nil || len(items) != 2 || items[0].SKU != "COFFEE" || items[0].Quantity != 2 || items[0].UnitPrice != 5800 || items[1].SKU != "PENNY" || items[1].UnitPrice != 1 {
		t.Errorf("items = %+v, %v", items, err)
	}
	if o.Buyer.Name != "张三" || o.Buyer.Phone != "13800138000" || !strings.Contains(o.Buyer.Address, "文三路") || o.Buyer.Note != "工作日送达" {
		t.Errorf("buyer = %+v", o.Buyer)
	}
	if got := testrig.Cookie(t, b, r.App.URL, "cart"); got != "" {
		t.Errorf("cart after checkout = %q, want cleared", got)
	}
	pay := get(t, b, r.App.URL+"/pay/"+o.Token+"?lang=en")
	for _, want := range []string{`id="merchant-name">杭州山间贸易有限公司`, `id="wechatpay-mark"`, `<td>Coffee beans</td><td class="num">2</td><td class="num">¥116.00</td>`, `id="expiry-warning"`, `role="alert"`} {
		if !strings.Contains(pay, want) {
			t.Errorf("payment page lacks %s", want)
		}
	}
}

func TestBuyNowAsksForDetailsThenShowsMessages(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askAll(t, r)
	b, csrf := shopper(t, r)
	before := r.CountRows(t, "orders")
	resp := buy(t, r, noFollow(b), url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"2"}})
	body := testrig.ReadAll(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="checkout-form"`) || !strings.Contains(body, `name="sku" value="COFFEE"><input type="hidden" name="qty" value="2">`) {
		t.Fatalf("buy-now without details = %d, want the checkout form for COFFEE × 2", resp.StatusCode)
	}
	resp = buy(t, r, noFollow(b), url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"2"},
		"buyer_name": {"李四"}, "buyer_phone": {"12345"}, "buyer_address": {""}, "buyer_note": {"<b>快</b>"}})
	body = testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad details = %d, want 400", resp.StatusCode)
	}
	for _, want := range []string{`value="李四"`, `id="buyer_phone-error">请输入 11 位手机号`, `id="buyer_address-error">必填`, `&lt;b&gt;快&lt;/b&gt;</textarea>`, `id="form-message"`} {
		if !strings.Contains(body, want) {
			t.Errorf("re-rendered form lacks %s", want)
		}
	}
	if strings.Contains(body, `id="buyer_name-error"`) {
		t.Error("a valid name got a message")
	}
	if n := r.CountRows(t, "orders"); n != before {
		t.Errorf("orders %d → %d: a refused checkout created one", before, n)
	}
}

func TestShopShowsPicturesAndSoldOut(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	none := 0
	p := &models.Product{SKU: "TEA", Name: "龙井", NameEN: "Longjing", Description: "明前", DescriptionEN: "Pre-Qingming", Price: 12800, Active: true, Stock: &none, ImageID: 7}
	if err := r.Svc.CreateProduct(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	set := models.ShopSettings{ShopName: "山间小铺", ShopNameEN: "Mountain shop", LogoImageID: 9, Footer: "Ships daily", Contact: "shop@example.com"}
	if err := r.Svc.SaveShopSettings(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	b, _ := shopper(t, r)
	page := get(t, b, r.App.URL+"/?lang=en")
	for _, want := range []string{`id="shop-logo" src="/images/9"`, `<span id="shop-name">Mountain shop</span>`, `id="shop-footer">Ships daily`, `id="shop-contact">Contact: shop@example.com`} {
		if !strings.Contains(page, want) {
			t.Errorf("shop page lacks %s", want)
		}
	}
	i := strings.Index(page, `data-sku="TEA"`)
	if i < 0 {
		t.Fatal("shop does not list TEA")
	}
	tea := page[i:]
	tea = tea[:strings.Index(tea, "</li>")]
	for _, want := range []string{`src="/images/7"`, "Longjing", "Pre-Qingming", "¥128.00", `id="sold-out-TEA"`} {
		if !strings.Contains(tea, want) {
			t.Errorf("sold-out product lacks %s:\n%s", want, tea)
		}
	}
	if strings.Contains(tea, "buy-now") || strings.Contains(tea, "add-to-cart") {
		t.Error("a sold-out product can be bought")
	}
}
