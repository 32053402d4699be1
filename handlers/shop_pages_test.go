package handlers_test

import (
	"context"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/static"
)

var switchRe = regexp.MustCompile(`id="lang-switch" href="([^"]+)"`)

// The header's language switch works on every shopper page, also on one
// rendered by a failed POST: it answers 200 or 303, never 405.
func TestLanguageSwitchOnEveryPage(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askAll(t, r)
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, noFollow(b), url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"},
		"buyer_name": {"张三"}, "buyer_phone": {"13800138000"}, "buyer_address": {"浙江省杭州市西湖区文三路 100 号"}}))
	paid := orderByLocation(t, r, buy(t, r, noFollow(b), url.Values{"csrf_token": {csrf}, "sku": {"PENNY"},
		"buyer_name": {"张三"}, "buyer_phone": {"13800138000"}, "buyer_address": {"浙江省杭州市西湖区文三路 100 号"}}))
	if err := r.Sim.Pay(paid.CodeURL); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, r, paid)
	pages := []struct {
		name, method, path string
		form               url.Values
		wantStatus         int
	}{
		{"shop", "GET", "/", nil, 200},
		{"cart", "GET", "/cart?x=1", nil, 200},
		{"pay", "GET", "/pay/" + o.Token, nil, 200},
		{"receipt", "GET", "/pay/" + paid.Token, nil, 200},
		{"404", "GET", "/no/such/page", nil, 404},
		{"failed checkout", "POST", "/checkout", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"0"}}, 400},
		{"details form", "POST", "/checkout", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "buyer_name": {""}}, 400},
		{"checkout csrf", "POST", "/checkout", url.Values{"sku": {"COFFEE"}}, 403},
	}
	c := noFollow(b)
	for _, p := range pages {
		var resp *http.Response
		var err error
		if p.method == "GET" {
			resp, err = c.Get(r.App.URL + p.path)
		} else {
			resp, err = c.PostForm(r.App.URL+p.path, p.form)
		}
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		m := switchRe.FindStringSubmatch(body)
		if resp.StatusCode != p.wantStatus || m == nil {
			t.Errorf("%s: %d, switch found %v; want %d with a switch", p.name, resp.StatusCode, m != nil, p.wantStatus)
			continue
		}
		href := html.UnescapeString(m[1])
		if !strings.Contains(href, "lang=en") && !strings.Contains(href, "lang=zh") {
			t.Errorf("%s: switch %q names no language", p.name, href)
		}
		sw, err := c.Get(r.App.URL + href)
		if err != nil {
			t.Fatal(err)
		}
		testrig.ReadAll(t, sw)
		if sw.StatusCode != 200 && sw.StatusCode != 303 && !(p.name == "404" && sw.StatusCode == 404) {
			t.Errorf("%s: switch %s = %d, want 200 or 303", p.name, href, sw.StatusCode)
		}
	}
	resp, err := c.Get(r.App.URL + "/checkout?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cart" {
		t.Errorf("GET /checkout = %d → %q, want 303 to /cart", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestReceiptShowsMerchantBuyerAndPrint(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askAll(t, r)
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, noFollow(b), url.Values{"csrf_token": {csrf}, "sku": {"COFFEE", "PENNY"}, "qty": {"1", "2"},
		"buyer_name": {"张三"}, "buyer_phone": {"13800138000"}, "buyer_address": {"浙江省杭州市西湖区文三路 100 号"}, "buyer_note": {"请放门卫"}}))
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, r, o)
	paid := r.Order(t, o.OutTradeNo)
	page := get(t, b, r.App.URL+"/pay/"+o.Token+"?lang=zh")
	for _, want := range []string{`id="receipt"`, `id="merchant-name">杭州山间贸易有限公司`, `id="merchant-contact">0571-88886666`,
		`id="wechatpay-mark"`, `id="transaction-id">` + paid.TransactionID, `id="out-trade-no">` + o.OutTradeNo,
		`id="paid-at">` + paid.PaidAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"), `id="order-total">¥58.02`,
		`id="buyer-name">张三`, `id="buyer-address">浙江省杭州市西湖区文三路 100 号`, `id="buyer-note">请放门卫`,
		`<button type="button" id="print-receipt" class="print-receipt">打印 / 保存收据</button>`} {
		if !strings.Contains(page, want) {
			t.Errorf("receipt lacks %s", want)
		}
	}
	if strings.Contains(page, "onclick") || strings.Contains(page, "style=") {
		t.Error("receipt has inline behaviour or style (CSP)")
	}
	css, _ := static.FS.ReadFile("app.css")
	js, _ := static.FS.ReadFile("pay.js")
	if !strings.Contains(string(css), "@media print") || !strings.Contains(string(js), "window.print()") {
		t.Error("no print stylesheet or print button behaviour")
	}
}

// paramErrorCheckout is the real service except that WeChat refuses every
// order with its developer text, as the checkout reports it.
type paramErrorCheckout struct{ *checkout.Service }

func (paramErrorCheckout) PlaceOrder(context.Context, checkout.PlaceRequest) (*models.Order, error) {
	return nil, &checkout.Error{Kind: checkout.KindUpstream, Key: "err_wechat_refused", Args: []any{"PARAM_ERROR: total_fee 参数格式错误"}}
}

func TestErrorPageHidesWeChatDeveloperText(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	h, err := handlers.New(paramErrorCheckout{r.Svc}, handlers.Options{Now: r.Clock.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	b := r.Browser(t)
	resp, err := b.Get(srv.URL + "/?lang=zh")
	if err != nil {
		t.Fatal(err)
	}
	csrf := csrfRe.FindStringSubmatch(testrig.ReadAll(t, resp))[1]
	for _, lang := range []string{"zh", "en"} {
		resp, err = b.PostForm(srv.URL+"/checkout?lang="+lang, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("%s: status %d, want 502", lang, resp.StatusCode)
		}
		for _, secret := range []string{"PARAM_ERROR", "total_fee", "ORDERPAID", "参数格式"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: shopper page shows WeChat's %q", lang, secret)
			}
		}
		for _, want := range []string{`id="error-heading"`, `id="retry" class="button primary" href="/#product-COFFEE"`, `id="back-to-shop"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: error page lacks %s", lang, want)
			}
		}
	}
}

// The green buttons' text meets WCAG AA (4.5:1).
func TestButtonContrastMeetsWCAGAA(t *testing.T) {
	css, err := static.FS.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)
	bg := regexp.MustCompile(`background(?:-color)?:\s*(#[0-9a-fA-F]{6})`)
	fg := regexp.MustCompile(`(?:^|[;\s])color:\s*(#[0-9a-fA-F]{6})`)
	checked := 0
	for _, m := range rule.FindAllStringSubmatch(string(css), -1) {
		sel := m[1]
		if !strings.Contains(sel, "button") && !strings.Contains(sel, "wechat") && !strings.Contains(sel, ".primary") {
			continue
		}
		b, f := bg.FindStringSubmatch(m[2]), fg.FindStringSubmatch(m[2])
		if b == nil || f == nil {
			continue
		}
		checked++
		if cr := contrast(b[1], f[1]); cr < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f, want ≥ 4.5", strings.TrimSpace(sel), f[1], b[1], cr)
		}
	}
	if checked < 3 {
		t.Errorf("checked %d button rules, want the green buttons among them", checked)
	}
	if cr := contrast("#07c160", "#ffffff"); cr > 2.5 {
		t.Errorf("contrast formula: white on #07c160 = %.2f, want about 2.4", cr)
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}
