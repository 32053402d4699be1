package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// shopper opens the shop and returns a cookie-carrying client and its CSRF token.
func shopper(t *testing.T, r *testrig.Rig) (*http.Client, string) {
	t.Helper()
	b := r.Browser(t)
	resp, err := b.Get(r.App.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := testrig.ReadAll(t, resp)
	m := csrfRe.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET / = %d, csrf token found: %v", resp.StatusCode, m != nil)
	}
	return b, m[1]
}

// buy posts the checkout form and returns the response.
func buy(t *testing.T, r *testrig.Rig, b *http.Client, form url.Values) *http.Response {
	t.Helper()
	resp, err := b.PostForm(r.App.URL+"/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func orderByLocation(t *testing.T, r *testrig.Rig, resp *http.Response) *models.Order {
	t.Helper()
	testrig.ReadAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("checkout = %d, want 303", resp.StatusCode)
	}
	token, ok := strings.CutPrefix(resp.Header.Get("Location"), "/pay/")
	if !ok {
		t.Fatalf("Location = %q, want /pay/:token", resp.Header.Get("Location"))
	}
	o, err := r.Svc.OrderByToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestShopPageLanguages(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	tests := []struct{ query, acceptLang, want, notWant string }{
		{"", "", "咖啡豆", "Coffee beans"},
		{"", "en-US,en;q=0.9", "Coffee beans", "咖啡豆"},
		{"?lang=en", "zh-CN", "Coffee beans", "咖啡豆"},
		{"?lang=zh", "en", "咖啡豆", "Coffee beans"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", r.App.URL+"/"+tt.query, nil)
		req.Header.Set("Accept-Language", tt.acceptLang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		if !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) || !strings.Contains(body, "¥58.00") {
			t.Errorf("GET /%s (%s): want %q and ¥58.00, not %q", tt.query, tt.acceptLang, tt.want, tt.notWant)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("missing %s header", h)
			}
		}
	}
}

func TestCheckoutCreatesOrderFromServerPrice(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	resp := buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"2"}, "total_fee": {"1"}, "price": {"1"}})
	o := orderByLocation(t, r, resp)
	if o.TotalFee != 11600 || o.Quantity != 2 || o.Status != models.StatusNotPay || o.CodeURL == "" {
		t.Errorf("order = fee %d qty %d %s code_url %q; want 11600, 2, NOTPAY with a code_url", o.TotalFee, o.Quantity, o.Status, o.CodeURL)
	}
	if len(o.Token) < 22 || strings.Contains(o.Token, o.OutTradeNo) {
		t.Errorf("token %q must be ≥128 bits and not the out_trade_no", o.Token)
	}
	sim, ok := r.Sim.Order(o.OutTradeNo)
	if !ok || sim.TotalFee != 11600 || sim.CodeURL != o.CodeURL {
		t.Fatalf("simulator order = %+v, want total_fee 11600 and code_url %s", sim, o.CodeURL)
	}
	if want := o.ExpiresAt.Sub(o.TimeStart); want != 15*time.Minute {
		t.Errorf("expiry = creation + %v, want 15m", want)
	}
}

func TestCheckoutRefusesBadInput(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"no csrf", url.Values{"sku": {"COFFEE"}, "qty": {"1"}}, 403},
		{"wrong csrf", url.Values{"csrf_token": {otherToken(csrf)}, "sku": {"COFFEE"}}, 403},
		{"zero qty", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"0"}}, 400},
		{"huge qty", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"100000000000"}}, 400},
		{"text qty", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"1e3"}}, 400},
		{"negative qty", url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"-1"}}, 400},
		{"no sku", url.Values{"csrf_token": {csrf}}, 400},
		{"unknown sku", url.Values{"csrf_token": {csrf}, "sku": {"NOPE"}}, 404},
	}
	for _, tt := range tests {
		r.Clock.Advance(time.Minute) // every attempt counts against the checkout rate: stay under it
		resp := buy(t, r, b, tt.form)
		body := testrig.ReadAll(t, resp)
		if resp.StatusCode != tt.want || !strings.Contains(body, `id="error-message"`) {
			t.Errorf("%s: status %d, want %d with an error page", tt.name, resp.StatusCode, tt.want)
		}
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Errorf("%d unifiedorder calls reached WeChat, want 0", n)
	}
}

func TestCheckoutRetriesSystemErrorWithIdenticalFields(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "unifiedorder"}); err != nil {
		t.Fatal(err)
	}
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}))
	if o.Status != models.StatusNotPay || o.CodeURL == "" {
		t.Fatalf("order %s code_url %q after one SYSTEMERROR, want a QR", o.Status, o.CodeURL)
	}
	evs, _ := r.Svc.Events(t.Context(), o)
	var reqs []wxpay.Params
	for _, ev := range evs {
		if ev.Kind == models.EventUnifiedOrder {
			p, err := wxpay.Decode([]byte(ev.Request))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"sign", "nonce_str"} {
				delete(p, k)
			}
			reqs = append(reqs, p)
		}
	}
	if len(reqs) != 2 || len(reqs[0]) != len(reqs[1]) {
		t.Fatalf("unifiedorder sent %d times, want 2 with the same fields", len(reqs))
	}
	for k, v := range reqs[0] {
		if reqs[1][k] != v {
			t.Errorf("retry changed %s: %q → %q", k, v, reqs[1][k])
		}
	}
}

func TestCheckoutFailsClearlyWhenWeChatKeepsFailing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "unifiedorder", Count: 2})
	b, csrf := shopper(t, r)
	resp := buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}})
	body := testrig.ReadAll(t, resp)
	// WeChat's developer text stays in the log: the shopper reads plain words.
	if resp.StatusCode != http.StatusBadGateway || strings.Contains(body, "SYSTEMERROR") || !strings.Contains(body, `id="retry"`) {
		t.Errorf("checkout = %d, want 502 with a retry and without WeChat's SYSTEMERROR:\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, wxpaysim.DemoAPIKey) {
		t.Error("error page shows the API key")
	}
}

func TestPaymentPageQRAndStatusThroughPayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{RealClock: true})
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}}))

	page := get(t, b, r.App.URL+"/pay/"+o.Token)
	for _, want := range []string{`id="qr"`, `data-status="NOTPAY"`, `¥<span id="amount">58.00</span>`, o.OutTradeNo, `id="countdown"`, `id="simulate-scan"`} {
		if !strings.Contains(page, want) {
			t.Errorf("payment page lacks %s", want)
		}
	}
	if got := testrig.DecodeQR(t, []byte(get(t, b, r.App.URL+"/pay/"+o.Token+"/qr.png"))); got != o.CodeURL {
		t.Errorf("QR says %q, want code_url %q", got, o.CodeURL)
	}
	if st := statusOf(t, b, r, o); st.Status != "NOTPAY" || st.OutTradeNo != o.OutTradeNo || st.TotalFee != 5800 {
		t.Errorf("status = %+v", st)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for statusOf(t, b, r, o).Status != "PAID" {
		if time.Now().After(deadline) {
			t.Fatal("order not PAID 5 s after the simulator paid it")
		}
		time.Sleep(20 * time.Millisecond)
	}
	page = get(t, b, r.App.URL+"/pay/"+o.Token)
	if !strings.Contains(page, `data-status="PAID"`) || !strings.Contains(page, `id="transaction-id"`) || strings.Contains(page, `id="qr"`) {
		t.Error("paid page is not a receipt")
	}
}

func TestExpiredOrderOffersFreshQR(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"3"}}))
	renew := func() *http.Response {
		resp, err := b.PostForm(r.App.URL+"/pay/"+o.Token+"/renew", url.Values{"csrf_token": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := renew(); resp.StatusCode != http.StatusConflict {
		t.Errorf("renew of a payable order = %d, want 409", resp.StatusCode)
	}
	r.Clock.Advance(16 * time.Minute)
	page := get(t, b, r.App.URL+"/pay/"+o.Token)
	if !strings.Contains(page, `data-state="EXPIRED"`) || !strings.Contains(page, `id="renew"`) || strings.Contains(page, `id="qr"`) {
		t.Fatal("expired page does not say so or offer a new QR")
	}
	fresh := orderByLocation(t, r, renew())
	if fresh.OutTradeNo == o.OutTradeNo || fresh.Token == o.Token || fresh.TotalFee != o.TotalFee || fresh.Status != models.StatusNotPay {
		t.Errorf("renewed order %+v, want a new out_trade_no for the same amount", fresh)
	}
}

func TestUnknownTokenAndHealth(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	for _, path := range []string{"/pay/nope", "/pay/nope/status", "/pay/nope/qr.png", "/nowhere"} {
		resp, err := http.Get(r.App.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		testrig.ReadAll(t, resp)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(r.App.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if body := testrig.ReadAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}
}

func get(t *testing.T, b *http.Client, u string) string {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body := testrig.ReadAll(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", u, resp.StatusCode)
	}
	return body
}

type statusBody struct {
	Status     string `json:"status"`
	OutTradeNo string `json:"out_trade_no"`
	TotalFee   int64  `json:"total_fee"`
	Expired    bool   `json:"expired"`
}

func statusOf(t *testing.T, b *http.Client, r *testrig.Rig, o *models.Order) statusBody {
	t.Helper()
	var s statusBody
	if err := json.Unmarshal([]byte(get(t, b, r.App.URL+"/pay/"+o.Token+"/status")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStatusSeesCloseAndFailure(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}}))
	if st := statusOf(t, b, r, o); st.Status != "NOTPAY" { // now in the status view
		t.Fatalf("status = %s", st.Status)
	}
	r.Clock.Advance(16 * time.Minute)
	r.Svc.ReconcileOnce(t.Context(), 1, 10) // expires and closes it
	if st := statusOf(t, b, r, o); st.Status != "CLOSED" {
		t.Errorf("status after the reconciler closed the order = %s, want CLOSED", st.Status)
	}
}

func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		proxies []string
		want    string
	}{
		{nil, "203.0.113.7"},                  // default: the proxy on this host is trusted
		{[]string{"10.0.0.0/8"}, "127.0.0.1"}, // loopback is not a trusted proxy: the header is ignored
	} {
		r := testrig.New(t, testrig.Options{TrustedProxies: tt.proxies})
		b, csrf := shopper(t, r)
		req, _ := http.NewRequest("POST", r.App.URL+"/checkout", strings.NewReader(url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if o := orderByLocation(t, r, resp); o.ClientIP != tt.want {
			t.Errorf("proxies %v: client IP %q, want %q", tt.proxies, o.ClientIP, tt.want)
		}
	}
}

// otherToken is tok with its first character changed: never tok itself.
func otherToken(tok string) string {
	if strings.HasPrefix(tok, "x") {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
