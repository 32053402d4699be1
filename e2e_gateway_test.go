package main

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

// The merchant app the gateway browser test's shop system is configured with.
const (
	e2eGatewayPid = "1000"
	e2eGatewayKey = "e2eKey0123456789abcdefGHIJKLMNOP"
)

// fakeShop is a shop system (dujiaoka's epay plugin, in effect): a checkout
// page posting the signed order to the gateway's submit.php, the notify_url
// that verifies and acknowledges the epay notification, and the return_url
// page that verifies the sign before it tells the shopper the order is paid.
type fakeShop struct {
	srv        *httptest.Server
	outTradeNo string
	mu         sync.Mutex
	notified   []url.Values // every notification whose sign verified
	refused    []url.Values // and every one whose sign did not
}

var shopCheckout = template.Must(template.New("checkout").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Fake shop</title></head><body>
<h1>确认订单 {{.OutTradeNo}}</h1>
<form id="epay" method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit" id="pay">微信支付</button>
</form></body></html>`))

var shopReturn = template.Must(template.New("return").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Fake shop</title></head><body>
{{if .OK}}<h1 id="shop-result" data-result="paid">支付成功 ORDER {{.OutTradeNo}}</h1>
{{else}}<h1 id="shop-result" data-result="bad-sign">签名错误 {{.Err}}</h1>{{end}}
</body></html>`))

func newFakeShop(t *testing.T, gatewayURL, outTradeNo, name, money string) *fakeShop {
	t.Helper()
	s := &fakeShop{outTradeNo: outTradeNo}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		fields := map[string]string{"pid": e2eGatewayPid, "type": "wxpay", "out_trade_no": outTradeNo,
			"notify_url": s.srv.URL + "/notify", "return_url": s.srv.URL + "/return", "name": name, "money": money,
			"sign_type": "MD5"}
		fields["sign"] = gateway.EpaySign(fields, e2eGatewayKey)
		data := map[string]any{"OutTradeNo": outTradeNo, "Action": gatewayURL + "/submit.php", "Fields": fields}
		if err := shopCheckout.Execute(w, data); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /notify", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		err := gateway.EpayVerify(flat(q), e2eGatewayKey)
		s.mu.Lock()
		if err == nil {
			s.notified = append(s.notified, q)
		} else {
			s.refused = append(s.refused, q)
		}
		s.mu.Unlock()
		if err != nil {
			http.Error(w, "fail", http.StatusBadRequest)
			return
		}
		w.Write([]byte("success"))
	})
	mux.HandleFunc("GET /return", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		err := gateway.EpayVerify(flat(q), e2eGatewayKey)
		ok := err == nil && q.Get("trade_status") == "TRADE_SUCCESS" && q.Get("out_trade_no") == outTradeNo
		if err := shopReturn.Execute(w, map[string]any{"OK": ok, "OutTradeNo": q.Get("out_trade_no"), "Err": err}); err != nil {
			t.Error(err)
		}
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func flat(q url.Values) map[string]string {
	m := make(map[string]string, len(q))
	for k := range q {
		m[k] = q.Get(k)
	}
	return m
}

func (s *fakeShop) notifications() (ok, refused []url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.notified...), append([]url.Values(nil), s.refused...)
}

// TestBrowserGatewayCheckout pays a shop system's order in real Chromium:
// the shop's page posts the signed order to submit.php → the payment page →
// paid on the simulator's phone page → the page turns into the receipt with
// a#return and goes back by itself to the shop's return_url, whose sign
// verifies; the shop's notify_url gets the signed epay notification. Opened
// again, the paid order's page goes back to the shop again.
func TestBrowserGatewayCheckout(t *testing.T) {
	a := startApp(t, map[string]string{"GATEWAY_PID": e2eGatewayPid, "GATEWAY_KEY": e2eGatewayKey,
		"GATEWAY_ALLOW_PRIVATE_NOTIFY": "1"})
	const outTradeNo, itemName = "DJK20261122180000001", "测试商品 月卡"
	shop := newFakeShop(t, a.URL(), outTradeNo, itemName, "0.01")
	tab := newBrowser(t)

	must(t, chromedp.Do(tab,
		chromedp.Navigate(shop.srv.URL+"/checkout"),
		chromedp.WaitVisible(`#pay`),
		chromedp.Click(`#pay`),
		chromedp.WaitVisible(`#qr`),
	))
	payURL := browse(t, tab, chromedp.Location())
	if !strings.HasPrefix(payURL, a.URL()+"/pay/") {
		t.Fatalf("after submitting the shop's form the browser is at %s, want the payment page", payURL)
	}
	o, err := a.svc.OrderByToken(context.Background(), payURL[strings.LastIndex(payURL, "/")+1:])
	if err != nil {
		t.Fatalf("order for %s: %v", payURL, err)
	}
	if o.AppPid != 1000 || o.MerchantOutTradeNo() != outTradeNo || o.TotalFee != 1 || o.NotifyStyle != models.NotifyEpay {
		t.Fatalf("order %s: pid %d, merchant order %q, ¥%s, style %q", o.OutTradeNo, o.AppPid, o.MerchantOutTradeNo(),
			o.TotalFee.Yuan(), o.NotifyStyle)
	}
	if got := browse(t, tab, chromedp.Text(`#item`)); got != itemName {
		t.Errorf("the payment page shows item %q, want %q", got, itemName)
	}
	if got := browse(t, tab, chromedp.Text(`#merchant-out-trade-no`)); got != outTradeNo {
		t.Errorf("the payment page shows merchant order %q, want %q", got, outTradeNo)
	}
	browse(t, tab, chromedp.Evaluate[bool](`window.__sameDocument = true`))

	scan := browse(t, tab, chromedp.AttributeValue(`#simulate-scan`, "href"))
	phone, cancel := chromedp.NewContext(tab)
	defer cancel()
	must(t, chromedp.Do(phone,
		chromedp.Navigate(a.URL()+scan.Value),
		chromedp.WaitVisible(`button[value=pay]`),
		chromedp.Click(`button[value=pay]`),
		chromedp.WaitVisible(`#result[data-result="paid"]`),
	))

	// The receipt is shown for 3 s before the page goes back to the shop:
	// read it in one evaluation as soon as it is there.
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`a#return`)))
	type receipt struct {
		SameDocument bool   `json:"same"`
		Status       string `json:"status"`
		Return       string `json:"href"`
	}
	r := browse(t, tab, chromedp.Evaluate[receipt](`({same: window.__sameDocument === true,
		status: document.getElementById("status").dataset.status,
		href: document.querySelector("a#return").getAttribute("href")})`))
	if !r.SameDocument {
		t.Error("the payment page reloaded; it should turn into the receipt by itself")
	}
	if r.Status != "PAID" || !strings.HasPrefix(r.Return, shop.srv.URL+"/return?") {
		t.Errorf("receipt status %q, a#return %q: want PAID and the shop's return_url with parameters", r.Status, r.Return)
	}

	waitShopReturn(t, tab, shop)

	paid, err := a.svc.OrderByToken(context.Background(), o.Token)
	if err != nil || paid.Status != models.StatusPaid {
		t.Fatalf("order after paying: %+v, %v", paid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, refused := shop.notifications()
		if len(refused) > 0 {
			t.Fatalf("the shop refused notifications whose sign did not verify: %v", refused)
		}
		if len(ok) > 0 {
			n := ok[0]
			want := map[string]string{"pid": e2eGatewayPid, "trade_no": paid.OutTradeNo, "out_trade_no": outTradeNo,
				"type": "wxpay", "name": itemName, "money": "0.01", "trade_status": "TRADE_SUCCESS", "sign_type": "MD5"}
			for k, v := range want {
				if n.Get(k) != v {
					t.Errorf("notification %s = %q, want %q", k, n.Get(k), v)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shop's notify_url got no notification 30 s after the payment")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A paid order's page, opened again, is the receipt and goes back too.
	must(t, chromedp.Do(tab, chromedp.Navigate(payURL), chromedp.WaitVisible(`a#return`)))
	waitShopReturn(t, tab, shop)
}

// waitShopReturn waits for the tab to arrive at the shop's return page and
// checks that the shop verified what it was given.
func waitShopReturn(t *testing.T, tab context.Context, shop *fakeShop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second) // the page goes back after 3 s
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#shop-result`)); err != nil {
		t.Fatalf("the browser did not arrive at the shop's return page: %v", err)
	}
	at := browse(t, tab, chromedp.Location())
	result := browse(t, tab, chromedp.AttributeValue(`#shop-result`, "data-result"))
	text := browse(t, tab, chromedp.Text(`#shop-result`))
	if !strings.HasPrefix(at, shop.srv.URL+"/return?") || result.Value != "paid" || text != "支付成功 ORDER "+shop.outTradeNo {
		t.Fatalf("the browser went back to %s, which says %q (%s)", at, text, result.Value)
	}
}
