package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// postFrom posts a form as b, through the rig's trusted loopback proxy on
// behalf of ip ("" for the proxy itself), and returns status and body.
func postFrom(t *testing.T, b *http.Client, u string, form url.Values, ip string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, testrig.ReadAll(t, resp)
}

func TestCheckoutRateIsLimitedPerClient(t *testing.T) {
	r := testrig.New(t, testrig.Options{}) // the defaults: 20 a minute, a burst of 5
	b, csrf := shopper(t, r)
	form := url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}
	for i := range 5 {
		if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, ""); code != http.StatusSeeOther {
			t.Fatalf("checkout %d = %d, want 303", i+1, code)
		}
	}
	orders, calls := r.CountRows(t, "orders"), len(r.Sim.Orders())
	tests := []struct {
		name   string
		header []string
		want   string
	}{
		{"Chinese first", nil, "下单过于频繁"},
		{"English on request", []string{"Accept-Language", "en"}, "Too many orders"},
	}
	for _, tt := range tests {
		code, body := postFrom(t, b, r.App.URL+"/checkout", form, "", tt.header...)
		if code != http.StatusTooManyRequests || !strings.Contains(body, tt.want) {
			t.Errorf("%s: 6th checkout = %d, want 429 saying %q; body %.300s", tt.name, code, tt.want, body)
		}
	}
	if got, gotCalls := r.CountRows(t, "orders"), len(r.Sim.Orders()); got != orders || gotCalls != calls {
		t.Errorf("refused checkouts made %d orders and %d WeChat calls, want none", got-orders, gotCalls-calls)
	}
	if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, "198.51.100.20"); code != http.StatusSeeOther {
		t.Errorf("another client's checkout = %d, want 303", code)
	}
	r.Clock.Advance(3 * time.Second) // 20 a minute: one token every 3 s
	if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, ""); code != http.StatusSeeOther {
		t.Errorf("checkout 3 s later = %d, want 303", code)
	}
	if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, ""); code != http.StatusTooManyRequests {
		t.Errorf("second checkout 3 s later = %d, want 429", code)
	}
}

func TestRenewSharesTheCheckoutRate(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b, csrf := shopper(t, r)
	o := r.PlaceOrder(t, "COFFEE", 1)
	r.Clock.Advance(16 * time.Minute)
	renew := r.App.URL + "/pay/" + o.Token + "/renew"
	form := url.Values{"csrf_token": {csrf}}
	before := r.CountRows(t, "orders")
	const n = 12
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i], _ = postFrom(t, b, renew, form, "") })
	}
	wg.Wait()
	made := 0
	for i, code := range codes {
		switch code {
		case http.StatusSeeOther:
			made++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("renew %d = %d, want 303 or 429", i+1, code)
		}
	}
	if got := r.CountRows(t, "orders") - before; made > 5 || got != 1 {
		t.Errorf("%d parallel renews made %d orders (%d answered 303), want one successor and at most the burst of 5 answered", n, got, made)
	}
	for made < 5 { // spend the rest of the burst one at a time
		if code, _ := postFrom(t, b, renew, form, ""); code != http.StatusSeeOther {
			t.Fatalf("renew = %d, want 303", code)
		}
		made++
	}
	if code, _ := postFrom(t, b, r.App.URL+"/checkout", url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}, ""); code != http.StatusTooManyRequests {
		t.Errorf("checkout after 5 renews = %d, want 429: renews and checkouts share one rate", code)
	}
}

func TestOpenOrdersAreCountedPerClientAndIPv6Per64(t *testing.T) {
	r := testrig.New(t, testrig.Options{MaxOpenOrders: 2, CheckoutRate: 1000})
	b, csrf := shopper(t, r)
	form := url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::2"} {
		if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, ip); code != http.StatusSeeOther {
			t.Fatalf("checkout from %s = %d, want 303", ip, code)
		}
	}
	before := r.CountRows(t, "orders")
	if code, body := postFrom(t, b, r.App.URL+"/checkout", form, "2001:db8:1:2:ffff::3"); code != http.StatusTooManyRequests ||
		!strings.Contains(body, "未支付的订单过多") {
		t.Errorf("third open order from the same /64 = %d, want 429 too many unpaid orders", code)
	}
	if got := r.CountRows(t, "orders"); got != before {
		t.Errorf("a refused checkout made %d orders", got-before)
	}
	if code, _ := postFrom(t, b, r.App.URL+"/checkout", form, "2001:db8:1:3::1"); code != http.StatusSeeOther {
		t.Errorf("checkout from the next /64 = %d, want 303", code)
	}
	orders, err := r.Store.SearchOrders(t.Context(), models.OrderFilter{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.ClientIP == "2001:db8:1:2::1" && o.ClientKey != "2001:db8:1:2::/64" {
			t.Errorf("order from %s has client key %q, want 2001:db8:1:2::/64", o.ClientIP, o.ClientKey)
		}
	}

	r.Clock.Advance(16 * time.Minute) // every order expired: the /64 may order again, by renewing
	code, _ := postFrom(t, b, r.App.URL+"/pay/"+orders[0].Token+"/renew", url.Values{"csrf_token": {csrf}}, "2001:db8:1:2::9")
	if code != http.StatusSeeOther {
		t.Fatalf("renew = %d, want 303", code)
	}
	if n, err := r.Store.CountOpenOrders(t.Context(), "2001:db8:1:2::/64", r.Clock.Now()); err != nil || n != 1 {
		t.Errorf("open orders of the /64 after a renew = %d %v, want 1: a renew counts for its client", n, err)
	}
}

func TestOneClientIPHeaderIsBelieved(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		header  string
		send    []string // header, value
		want    string
	}{
		{"X-Forwarded-For by default", nil, "", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP ignored by default", nil, "", []string{"X-Real-IP", "203.0.113.8"}, "127.0.0.1"},
		{"X-Real-IP when chosen", nil, "X-Real-IP", []string{"X-Real-IP", "203.0.113.9"}, "203.0.113.9"},
		{"X-Forwarded-For ignored when X-Real-IP is chosen", nil, "X-Real-IP", []string{"X-Forwarded-For", "203.0.113.10"}, "127.0.0.1"},
		{"no proxy trusted", []string{}, "", []string{"X-Forwarded-For", "203.0.113.11"}, "127.0.0.1"},
		{"no proxy trusted, X-Real-IP", []string{}, "X-Real-IP", []string{"X-Real-IP", "203.0.113.12"}, "127.0.0.1"},
	}
	for _, tt := range tests {
		r := testrig.New(t, testrig.Options{TrustedProxies: tt.proxies, ClientIPHeader: tt.header})
		b, csrf := shopper(t, r)
		code, _ := postFrom(t, b, r.App.URL+"/checkout", url.Values{"csrf_token": {csrf}, "sku": {"PENNY"}}, "", tt.send...)
		if code != http.StatusSeeOther {
			t.Fatalf("%s: checkout = %d", tt.name, code)
		}
		orders, err := r.Store.SearchOrders(t.Context(), models.OrderFilter{}, 0, 1)
		if err != nil || len(orders) != 1 {
			t.Fatal(orders, err)
		}
		if got := orders[0].ClientIP; got != tt.want {
			t.Errorf("%s: client IP %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStaticFilesWithoutDirectoryListing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/static/", http.StatusNotFound},
		{"/static", http.StatusNotFound},
		{"/static/app.css", http.StatusOK},
		{"/static/pay.js", http.StatusOK},
		{"/static/nope.css", http.StatusNotFound},
	} {
		resp, err := http.Get(r.App.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		if resp.StatusCode != tt.want || strings.Contains(body, `<a href="app.css">`) {
			t.Errorf("GET %s = %d, want %d without a listing; body %.200s", tt.path, resp.StatusCode, tt.want, body)
		}
	}
}
