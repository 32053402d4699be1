package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// apiReply is a JSON API response.
type apiReply struct {
	Status int
	Header http.Header
	Body   string
}

// apiCall sends a JSON API request as app (nil: no credentials); a body is
// sent as application/json unless header names another Content-Type.
func apiCall(t *testing.T, r *testrig.Rig, app *models.MerchantApp, method, path, body string, header ...string) apiReply {
	t.Helper()
	a, err := apiDo(r, app, method, path, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// apiDo is apiCall for other goroutines than the test's.
func apiDo(r *testrig.Rig, app *models.MerchantApp, method, path, body string, header ...string) (apiReply, error) {
	req, err := http.NewRequest(method, r.App.URL+path, strings.NewReader(body))
	if err != nil {
		return apiReply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if app != nil {
		req.SetBasicAuth(fmt.Sprint(app.Pid), app.Key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return apiReply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, err
}

// order decodes a reply that must be an order with status want.
func (a apiReply) order(t *testing.T, want int) gateway.Order {
	t.Helper()
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	var o gateway.Order
	if err := json.Unmarshal([]byte(a.Body), &o); err != nil || o.TradeNo == "" {
		t.Fatalf("not an order (%v): %s", err, a.Body)
	}
	return o
}

// apiErr is the error a reply carries, checked to be exactly
// {"error":{"code","message"}} with a message.
func (a apiReply) apiErr(t *testing.T) (code, message string) {
	t.Helper()
	var e map[string]map[string]string
	if err := json.Unmarshal([]byte(a.Body), &e); err != nil || len(e) != 1 || len(e["error"]) != 2 || e["error"]["message"] == "" {
		t.Fatalf("status %d: not an API error (%v): %s", a.Status, err, a.Body)
	}
	return e["error"]["code"], e["error"]["message"]
}

// wantErr checks a refusal's status and code.
func (a apiReply) wantErr(t *testing.T, status int, code string) {
	t.Helper()
	got, msg := a.apiErr(t)
	if a.Status != status || got != code {
		t.Fatalf("got %d %s (%s), want %d %s", a.Status, got, msg, status, code)
	}
}

func createBody(outTradeNo string, amount int64, extra string) string {
	return fmt.Sprintf(`{"out_trade_no":%q,"amount":%d,"name":"月卡 VIP"%s}`, outTradeNo, amount, extra)
}

// receiver is a merchant's webhook endpoint that records every request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	heads  []http.Header
	bodies []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if req.Method == http.MethodPost {
			rc.heads, rc.bodies = append(rc.heads, req.Header.Clone()), append(rc.bodies, string(b))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// events are the webhooks received so far, each checked to be signed with
// key at now.
func (rc *receiver) events(t *testing.T, key string, now time.Time) []gateway.Event {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []gateway.Event
	for i, body := range rc.bodies {
		if err := gateway.VerifyWebhook(key, rc.heads[i].Get(gateway.WebhookSignatureHeader), []byte(body), now, time.Minute); err != nil {
			t.Fatalf("webhook %d: signature: %v", i, err)
		}
		if ct := rc.heads[i].Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("webhook Content-Type %q", ct)
		}
		var ev gateway.Event
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("webhook %d: %v", i, err)
		}
		out = append(out, ev)
	}
	return out
}

func TestAPIRefusesWithoutValidCredentials(t *testing.T) {
	var logs logBuffer
	r := testrig.New(t, testrig.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	app := r.MerchantApp(t, "api")
	off := r.MerchantApp(t, "disabled")
	if _, err := r.Svc.SetAppEnabled(t.Context(), off.Pid, false, "test"); err != nil {
		t.Fatal(err)
	}
	wrongKey := strings.Repeat("x", 32)
	cases := map[string]*models.MerchantApp{
		"no credentials": nil,
		"wrong key":      {Pid: app.Pid, Key: wrongKey},
		"empty key":      {Pid: app.Pid},
		"unknown pid":    {Pid: 99999, Key: app.Key},
		"another's key":  {Pid: app.Pid, Key: off.Key},
		"disabled app":   off,
	}
	requests := []struct{ method, path, body string }{
		{"POST", "/api/v1/orders", createBody("A1", 100, "")},
		{"GET", "/api/v1/orders/X", ""},
		{"GET", "/api/v1/orders?out_trade_no=A1", ""},
		{"POST", "/api/v1/orders/X/close", ""},
	}
	for name, creds := range cases {
		for _, q := range requests {
			a := apiCall(t, r, creds, q.method, q.path, q.body)
			a.wantErr(t, http.StatusUnauthorized, "unauthorized")
			if got := a.Header.Get("WWW-Authenticate"); got != `Basic realm="wxcheckout"` {
				t.Errorf("%s %s %s: WWW-Authenticate %q", name, q.method, q.path, got)
			}
		}
	}
	// A pid that is not a number, and Basic auth that is not base64.
	for _, h := range []string{"Basic " + "bm90LWEtcGlkOmtleQ==", "Basic !!!", "Bearer " + app.Key} {
		apiCall(t, r, nil, "GET", "/api/v1/orders/X", "", "Authorization", h).wantErr(t, http.StatusUnauthorized, "unauthorized")
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Fatalf("unauthenticated requests placed %d orders", n)
	}
	if strings.Contains(logs.String(), app.Key) || strings.Contains(logs.String(), wrongKey) {
		t.Error("a key was logged")
	}
	_, msg := apiCall(t, r, off, "GET", "/api/v1/orders/X", "").apiErr(t)
	if msg != "The merchant app is disabled" {
		t.Errorf("disabled app message %q", msg)
	}
	_, msg = apiCall(t, r, nil, "GET", "/api/v1/orders/X", "", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8").apiErr(t)
	if !strings.Contains(msg, "HTTP Basic 认证") {
		t.Errorf("Chinese message %q", msg)
	}
}

func TestAPICreateOrderIsIdempotent(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	created := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("API-1", 990,
		`,"param":"uid=7","return_url":"https://shop.example/done","expire_seconds":600`))
	o := created.order(t, http.StatusCreated)
	stored := r.Order(t, o.TradeNo)
	wantCreated := stored.CreatedAt.In(testrig.Shanghai).Format(time.RFC3339)
	wantExpires := stored.CreatedAt.Add(10 * time.Minute).In(testrig.Shanghai).Format(time.RFC3339)
	switch {
	case o.OutTradeNo != "API-1" || o.Amount != 990 || o.Status != "NOTPAY" || o.Name != "月卡 VIP" || o.Param != "uid=7":
		t.Errorf("order %+v", o)
	case o.PayURL != r.App.URL+"/pay/"+stored.Token || o.QRURL != o.PayURL+"/qr.png" || o.CodeURL != stored.CodeURL || o.CodeURL == "":
		t.Errorf("links %q %q %q", o.PayURL, o.QRURL, o.CodeURL)
	case o.CreatedAt != wantCreated || o.ExpiresAt != wantExpires || !strings.HasSuffix(o.ExpiresAt, "+08:00"):
		t.Errorf("created %s expires %s, want %s and %s", o.CreatedAt, o.ExpiresAt, wantCreated, wantExpires)
	case o.PaidAt != nil || o.TransactionID != "" || o.RefundedAmount != 0:
		t.Errorf("unpaid order with payment fields: %+v", o)
	case stored.NotifyStyle != models.NotifyWebhook || stored.AppPid != app.Pid:
		t.Errorf("stored as %s of app %d", stored.NotifyStyle, stored.AppPid)
	}
	if loc := created.Header.Get("Location"); loc != "/api/v1/orders/"+o.TradeNo {
		t.Errorf("Location %q", loc)
	}
	if cc := created.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if page := get(t, http.DefaultClient, o.PayURL); !strings.Contains(page, o.TradeNo) {
		t.Error("the pay_url does not show the order")
	}

	// The same out_trade_no and amount: the same order, its other fields
	// ignored; another amount: 409, nothing changes.
	again := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("API-1", 990, `,"param":"other"`)).order(t, http.StatusOK)
	if again.TradeNo != o.TradeNo || again.Param != "uid=7" {
		t.Errorf("repeat gave %+v, want order %s unchanged", again, o.TradeNo)
	}
	apiCall(t, r, app, "POST", "/api/v1/orders", createBody("API-1", 991, "")).wantErr(t, http.StatusConflict, "duplicate_out_trade_no")
	if n := len(r.Sim.Orders()); n != 1 {
		t.Errorf("%d orders at WeChat, want 1", n)
	}
	if got := r.Order(t, o.TradeNo); got.TotalFee != 990 {
		t.Errorf("amount now %d", got.TotalFee)
	}
	// Another app's numbers are its own.
	other := apiCall(t, r, r.MerchantApp(t, "other"), "POST", "/api/v1/orders", createBody("API-1", 991, "")).order(t, http.StatusCreated)
	if other.TradeNo == o.TradeNo {
		t.Error("two apps share an order")
	}
	// No expire_seconds: ORDER_TTL (the rig's 15 minutes).
	def := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("API-2", 1, "")).order(t, http.StatusCreated)
	if st := r.Order(t, def.TradeNo); st.ExpiresAt.Sub(st.CreatedAt) != 15*time.Minute {
		t.Errorf("default expiry %s", st.ExpiresAt.Sub(st.CreatedAt))
	}
}

func TestAPIGetsOnlyTheAppsOwnOrders(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app, other := r.MerchantApp(t, "api"), r.MerchantApp(t, "other")
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("G/1+?", 100, "")).order(t, http.StatusCreated)

	byNo := apiCall(t, r, app, "GET", "/api/v1/orders/"+o.TradeNo, "").order(t, http.StatusOK)
	byOut := apiCall(t, r, app, "GET", "/api/v1/orders?out_trade_no=G%2F1%2B%3F", "").order(t, http.StatusOK)
	if byNo != o || byOut != o {
		t.Errorf("got %+v and %+v, want %+v", byNo, byOut, o)
	}
	if cc := apiCall(t, r, app, "GET", "/api/v1/orders/"+o.TradeNo, "").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	shop := r.PlaceOrder(t, "COFFEE", 1)
	for _, path := range []string{"/api/v1/orders/" + o.TradeNo, "/api/v1/orders?out_trade_no=G%2F1%2B%3F",
		"/api/v1/orders/NOSUCHORDER", "/api/v1/orders?out_trade_no=nope"} {
		apiCall(t, r, other, "GET", path, "").wantErr(t, http.StatusNotFound, "not_found")
	}
	apiCall(t, r, app, "GET", "/api/v1/orders/"+shop.OutTradeNo, "").wantErr(t, http.StatusNotFound, "not_found")
	apiCall(t, r, other, "POST", "/api/v1/orders/"+o.TradeNo+"/close", "").wantErr(t, http.StatusNotFound, "not_found")
	apiCall(t, r, app, "GET", "/api/v1/orders", "").wantErr(t, http.StatusBadRequest, "missing_field")
}

func TestAPICloseWaitsFiveMinutesAndQueuesTheWebhook(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	rc := newReceiver(t)
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("C1", 100, `,"notify_url":"`+rc.srv.URL+`/hook"`)).order(t, http.StatusCreated)
	close := "/api/v1/orders/" + o.TradeNo + "/close"

	r.Clock.Advance(4 * time.Minute)
	apiCall(t, r, app, "POST", close, "").wantErr(t, http.StatusConflict, "close_too_soon")
	if got := r.Order(t, o.TradeNo); got.Status != models.StatusNotPay {
		t.Fatalf("closed within 5 minutes: %s", got.Status)
	}
	r.Clock.Advance(time.Minute)
	closed := apiCall(t, r, app, "POST", close, "").order(t, http.StatusOK)
	if closed.Status != "CLOSED" || closed.TradeNo != o.TradeNo {
		t.Fatalf("after close: %+v", closed)
	}
	if info, _ := r.Sim.Order(o.TradeNo); info.TradeState != "CLOSED" {
		t.Errorf("at WeChat the trade is %s", info.TradeState)
	}
	ds, err := r.Svc.Deliveries(t.Context(), r.Order(t, o.TradeNo))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Type != models.TypeOrderClosed || ds[0].Style != models.NotifyWebhook || ds[0].State != models.DeliveryPending {
		t.Fatalf("deliveries after close: %+v", ds)
	}
	// Closing again is answered with the closed order, and owes nothing more.
	apiCall(t, r, app, "POST", close, "").order(t, http.StatusOK)
	if n := r.Deliver(t); n != 1 {
		t.Fatalf("%d webhooks sent, want 1", n)
	}
	evs := rc.events(t, app.Key, r.Clock.Now())
	if len(evs) != 1 || evs[0].Type != "order.closed" || evs[0].Data.TradeNo != o.TradeNo || evs[0].Data.Status != "CLOSED" {
		t.Fatalf("webhooks %+v", evs)
	}
}

func TestAPIPaidOrderAndItsWebhook(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	rc := newReceiver(t)
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("P1", 5800,
		`,"notify_url":"`+rc.srv.URL+`/hook?shop=1","param":"cart 9"`)).order(t, http.StatusCreated)
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	paid := pollPaid(t, r, app, o.TradeNo)
	stored := r.Order(t, o.TradeNo)
	if paid.PaidAt == nil || *paid.PaidAt != stored.PaidAt.In(testrig.Shanghai).Format(time.RFC3339) ||
		paid.TransactionID == "" || paid.TransactionID != stored.TransactionID || paid.Amount != 5800 {
		t.Fatalf("paid order %+v", paid)
	}
	r.Clock.Advance(6 * time.Minute)
	apiCall(t, r, app, "POST", "/api/v1/orders/"+o.TradeNo+"/close", "").wantErr(t, http.StatusConflict, "not_closable")
	if got := r.Order(t, o.TradeNo); got.Status != models.StatusPaid {
		t.Fatalf("a close changed a paid order to %s", got.Status)
	}
	// The repeat of a paid order is that paid order.
	if again := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("P1", 5800, "")).order(t, http.StatusOK); again.Status != "PAID" {
		t.Errorf("repeat of a paid order: %+v", again)
	}

	if n := r.Deliver(t); n != 1 {
		t.Fatalf("%d webhooks sent, want 1", n)
	}
	evs := rc.events(t, app.Key, r.Clock.Now())
	if len(evs) != 1 {
		t.Fatalf("%d webhooks received", len(evs))
	}
	ev := evs[0]
	if ev.Type != "order.paid" || !strings.HasPrefix(ev.ID, "evt_") || ev.Data.Status != "PAID" || ev.Data.TradeNo != o.TradeNo ||
		ev.Data.OutTradeNo != "P1" || ev.Data.Param != "cart 9" || ev.Data.TransactionID != paid.TransactionID {
		t.Fatalf("event %+v", ev)
	}
	if ds, _ := r.Svc.Deliveries(t.Context(), stored); len(ds) != 1 || ds[0].State != models.DeliveryDelivered {
		t.Fatalf("deliveries %+v, want one delivered (a 204 is a 2xx)", ds)
	}
}

// pollPaid reads the order until it is PAID: the simulator's notification
// arrives on its own goroutine.
func pollPaid(t *testing.T, r *testrig.Rig, app *models.MerchantApp, tradeNo string) gateway.Order {
	t.Helper()
	for range 500 {
		o := apiCall(t, r, app, "GET", "/api/v1/orders/"+tradeNo, "").order(t, http.StatusOK)
		if o.Status == "PAID" {
			return o
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("order %s never turned PAID", tradeNo)
	return gateway.Order{}
}

func TestAPIOrderCreationIsLimitedPerApp(t *testing.T) {
	r := testrig.New(t, testrig.Options{GatewayRate: 5})
	app, other := r.MerchantApp(t, "api"), r.MerchantApp(t, "other")
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R1", 100, "")).order(t, http.StatusCreated)
	limited := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R2", 100, ""))
	limited.wantErr(t, http.StatusTooManyRequests, "rate_limited")
	if ra := limited.Header.Get("Retry-After"); ra != "12" {
		t.Errorf("Retry-After %q, want 12 (5 a minute)", ra)
	}
	// Repeats count too; lookups and other apps do not.
	apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R1", 100, "")).wantErr(t, http.StatusTooManyRequests, "rate_limited")
	apiCall(t, r, app, "GET", "/api/v1/orders/"+o.TradeNo, "").order(t, http.StatusOK)
	apiCall(t, r, other, "POST", "/api/v1/orders", createBody("R2", 100, "")).order(t, http.StatusCreated)
	if n := len(r.Sim.Orders()); n != 2 {
		t.Errorf("%d orders at WeChat, want 2", n)
	}
	r.Clock.Advance(12 * time.Second)
	apiCall(t, r, app, "POST", "/api/v1/orders", createBody("R2", 100, "")).order(t, http.StatusCreated)
}

func TestAPIUnknownRoutesAnswerJSON(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("U1", 100, "")).order(t, http.StatusCreated)
	apiCall(t, r, app, "GET", "/api/v1/orders/"+o.TradeNo+"/refunds", "").wantErr(t, http.StatusMethodNotAllowed, "method_not_allowed")
	apiCall(t, r, nil, "GET", "/api/v2/orders", "").wantErr(t, http.StatusNotFound, "not_found")
	apiCall(t, r, app, "GET", "/api/v1/orders/"+o.TradeNo+"/close", "").wantErr(t, http.StatusMethodNotAllowed, "method_not_allowed")
	apiCall(t, r, app, "DELETE", "/api/v1/orders/"+o.TradeNo, "").wantErr(t, http.StatusMethodNotAllowed, "method_not_allowed")
	// Pages elsewhere keep their HTML error page.
	resp, err := http.Get(r.App.URL + "/no-such-page")
	if err != nil {
		t.Fatal(err)
	}
	if body := testrig.ReadAll(t, resp); resp.StatusCode != 404 || !strings.Contains(body, "<html") {
		t.Errorf("page 404 = %d %.60q", resp.StatusCode, body)
	}
}

func TestAPIConcurrentDuplicatesMakeOneOrder(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	const n = 12
	replies := make([]apiReply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if replies[i], err = apiDo(r, app, "POST", "/api/v1/orders", createBody("SAME", 100, "")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	created, tradeNos := 0, map[string]bool{}
	for _, a := range replies {
		if a.Status == http.StatusCreated {
			created++
		} else if a.Status != http.StatusOK {
			t.Fatalf("status %d: %s", a.Status, a.Body)
		}
		tradeNos[a.order(t, a.Status).TradeNo] = true
	}
	if created != 1 || len(tradeNos) != 1 {
		t.Fatalf("%d replies say created, %d orders; want 1 and 1", created, len(tradeNos))
	}
	if n := len(r.Sim.Orders()); n != 1 {
		t.Fatalf("%d orders at WeChat, want 1", n)
	}
}
