package checkout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay/wxpaysim"
)

// merchant is a shop system's notify_url: it fails the first failFirst
// requests and records every one.
type merchant struct {
	srv       *httptest.Server
	failFirst int32
	n         atomic.Int32
	mu        sync.Mutex
	got       []*http.Request
	bodies    []string
	reply     string
}

func newMerchant(t *testing.T, failFirst int32, reply string) *merchant {
	m := &merchant{failFirst: failFirst, reply: reply}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.got = append(m.got, r)
		m.bodies = append(m.bodies, string(b))
		m.mu.Unlock()
		if m.n.Add(1) <= m.failFirst {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, m.reply)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) requests() ([]*http.Request, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*http.Request(nil), m.got...), append([]string(nil), m.bodies...)
}

// payGateway pays a placed order at the simulator (its notification
// dropped) and confirms it by query, deterministically.
func payGateway(t *testing.T, r *testrig.Rig, o *models.Order) {
	t.Helper()
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}))
	must(t, r.Sim.Pay(o.CodeURL))
	must(t, r.Svc.Sync(context.Background(), o.OutTradeNo, "test"))
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Fatalf("order %s is %s after payment", o.OutTradeNo, got.Status)
	}
}

func deliveries(t *testing.T, r *testrig.Rig, o *models.Order) []models.Delivery {
	t.Helper()
	ds, err := r.Svc.Deliveries(context.Background(), o)
	must(t, err)
	return ds
}

func TestEpayNotificationIsResentOnScheduleUntilAcknowledged(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "独角数卡")
	m := newMerchant(t, 2, "success")
	o, created, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: "D2026113000001",
		Name: "月卡 VIP", Amount: 990, NotifyURL: m.srv.URL + "/notify?from=epay", ReturnURL: "https://shop.example/return",
		Param: "uid=7", Style: models.NotifyEpay})
	must(t, err)
	if !created || o.CodeURL == "" || o.MerchantOutTradeNo() != "D2026113000001" {
		t.Fatalf("placed %+v created %v", o, created)
	}
	if n := r.Deliver(t); n != 0 {
		t.Fatalf("%d notifications before payment", n)
	}
	payGateway(t, r, o)
	ds := deliveries(t, r, o)
	if len(ds) != 1 || ds[0].State != models.DeliveryPending || ds[0].Type != models.TypeOrderPaid {
		t.Fatalf("deliveries after payment: %+v", ds)
	}
	r.Deliver(t) // attempt 1: 503
	r.Deliver(t) // not due again yet
	if got := m.n.Load(); got != 1 {
		t.Fatalf("%d requests before the first resend is due, want 1", got)
	}
	r.Clock.Advance(14 * time.Second)
	r.Deliver(t)
	if got := m.n.Load(); got != 1 {
		t.Fatalf("resent after 14 s, want 15 s")
	}
	r.Clock.Advance(time.Second)
	r.Deliver(t) // attempt 2: 503
	r.Clock.Advance(15 * time.Second)
	r.Deliver(t) // attempt 3: success
	r.Clock.Advance(time.Hour)
	r.Deliver(t)
	if got := m.n.Load(); got != 3 {
		t.Fatalf("%d requests, want 3 (two failures, then delivered, then nothing)", got)
	}
	d := deliveries(t, r, o)[0]
	if d.State != models.DeliveryDelivered || d.Attempts != 3 || d.DeliveredAt == nil {
		t.Fatalf("delivery %+v, want delivered after 3 attempts", d)
	}
	reqs, _ := m.requests()
	q := reqs[2].URL.Query()
	params := map[string]string{}
	for k := range q {
		if k != "from" { // the notify_url's own query: not signed
			params[k] = q.Get(k)
		}
	}
	if err := gateway.EpayVerify(params, app.Key); err != nil {
		t.Fatalf("notification %v: %v", q, err)
	}
	want := map[string]string{"pid": fmt.Sprint(app.Pid), "trade_no": o.OutTradeNo, "out_trade_no": "D2026113000001",
		"type": "wxpay", "name": "月卡 VIP", "money": "9.90", "trade_status": "TRADE_SUCCESS", "param": "uid=7", "from": "epay"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	evs, err := r.Svc.Events(context.Background(), o)
	must(t, err)
	attempts := 0
	for _, ev := range evs {
		if ev.Kind == models.EventDelivery {
			attempts++
		}
	}
	if attempts != 3 {
		t.Errorf("%d attempts in the timeline, want 3", attempts)
	}
	u, err := r.Svc.ReturnURL(context.Background(), r.Order(t, o.OutTradeNo))
	must(t, err)
	ru, _ := url.Parse(u)
	if ru.Host != "shop.example" || ru.Query().Get("trade_status") != "TRADE_SUCCESS" || ru.Query().Get("sign") != q.Get("sign") {
		t.Errorf("return URL %s", u)
	}
}

func TestNotificationGivesUpAfterTheScheduleAndAnAdminResends(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "v2board")
	m := newMerchant(t, 1000, "success")
	o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: "V1",
		Name: "套餐", Amount: 100, NotifyURL: m.srv.URL, Style: models.NotifyEpay})
	must(t, err)
	payGateway(t, r, o)
	for _, gap := range append([]time.Duration{0}, models.ResendSchedule...) {
		r.Clock.Advance(gap)
		if n := r.Deliver(t); n != 1 {
			t.Fatalf("after %s: %d attempted, want 1", gap, n)
		}
	}
	d := deliveries(t, r, o)[0]
	if d.State != models.DeliveryFailed || d.Attempts != len(models.ResendSchedule)+1 {
		t.Fatalf("delivery %+v, want failed after %d attempts", d, len(models.ResendSchedule)+1)
	}
	failing, err := r.Svc.FailingDeliveries(context.Background(), 10)
	must(t, err)
	if len(failing) != 1 || failing[0].ID != d.ID {
		t.Fatalf("failing deliveries %+v", failing)
	}
	r.Clock.Advance(24 * time.Hour)
	if n := r.Deliver(t); n != 0 {
		t.Fatalf("a failed delivery was sent again by itself")
	}
	m.failFirst = 0
	_, err = r.Svc.ResendDelivery(context.Background(), d.ID, "admin:test")
	must(t, err)
	if n := r.Deliver(t); n != 1 {
		t.Fatalf("resend: %d attempted", n)
	}
	if d := deliveries(t, r, o)[0]; d.State != models.DeliveryDelivered {
		t.Fatalf("after resend: %+v", d)
	}
}

func TestWebhookIsSignedAndKeepsItsIDOnResend(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	m := newMerchant(t, 1, "")
	o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: "API-1",
		Name: "Widget", Amount: 5800, NotifyURL: m.srv.URL + "/hook", Style: models.NotifyWebhook})
	must(t, err)
	payGateway(t, r, o)
	r.Deliver(t)
	r.Clock.Advance(15 * time.Second)
	r.Deliver(t)
	reqs, bodies := m.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d webhook requests, want 2", len(reqs))
	}
	var ids []string
	for i, req := range reqs {
		if req.Method != http.MethodPost {
			t.Fatalf("method %s", req.Method)
		}
		if err := gateway.VerifyWebhook(app.Key, req.Header.Get(gateway.WebhookSignatureHeader), []byte(bodies[i]), r.Clock.Now(), time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var ev gateway.Event
		must(t, json.Unmarshal([]byte(bodies[i]), &ev))
		if ev.Type != "order.paid" || ev.Data.TradeNo != o.OutTradeNo || ev.Data.Status != "PAID" || ev.Data.Amount != 5800 || ev.Data.PaidAt == nil {
			t.Fatalf("event %+v", ev)
		}
		ids = append(ids, ev.ID)
	}
	if ids[0] != ids[1] || ids[0] == "" {
		t.Fatalf("event ids %v, want the same on resend", ids)
	}
}

func TestGatewayOrderIsIdempotentAndRefusesAnotherAmount(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	req := checkout.GatewayRequest{App: app, OutTradeNo: "SAME-1", Name: "Item", Amount: 100,
		NotifyURL: "http://127.0.0.1:1/n", Style: models.NotifyEpay}
	const n = 12
	var wg sync.WaitGroup
	nos := make([]string, n)
	createdN := atomic.Int32{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, created, err := r.Svc.PlaceGatewayOrder(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			if created {
				createdN.Add(1)
			}
			nos[i] = o.OutTradeNo
		}()
	}
	wg.Wait()
	for _, no := range nos {
		if no != nos[0] {
			t.Fatalf("concurrent submissions made several orders: %v", nos)
		}
	}
	if createdN.Load() != 1 {
		t.Fatalf("%d submissions report creating the order, want 1", createdN.Load())
	}
	if got := r.Order(t, nos[0]); got.CodeURL == "" {
		t.Fatalf("the order has no code_url")
	}
	req.Amount = 200
	_, _, err := r.Svc.PlaceGatewayOrder(context.Background(), req)
	if checkout.KindOf(err) != checkout.KindConflict {
		t.Fatalf("another amount: %v, want a conflict", err)
	}
	// Another app may use the same merchant order number.
	req.App, req.Amount = r.MerchantApp(t, "other"), 100
	o, created, err := r.Svc.PlaceGatewayOrder(context.Background(), req)
	must(t, err)
	if !created || o.OutTradeNo == nos[0] {
		t.Fatalf("another app's order: %+v created %v", o, created)
	}
}

func TestGatewayRefusesBadFieldsAndPrivateNotifyURLs(t *testing.T) {
	r := testrig.New(t, testrig.Options{ForbidPrivateNotify: true})
	app := r.MerchantApp(t, "shop")
	ok := checkout.GatewayRequest{App: app, OutTradeNo: "OK1", Name: "Item", Amount: 100,
		NotifyURL: "http://203.0.113.9/n", ReturnURL: "https://shop.example/r", Style: models.NotifyEpay, NeedReturnURL: true}
	cases := map[string]func(*checkout.GatewayRequest){
		"no out_trade_no":     func(q *checkout.GatewayRequest) { q.OutTradeNo = "" },
		"long out_trade_no":   func(q *checkout.GatewayRequest) { q.OutTradeNo = string(make([]byte, 65)) },
		"space in no":         func(q *checkout.GatewayRequest) { q.OutTradeNo = "A B" },
		"no name":             func(q *checkout.GatewayRequest) { q.Name = "" },
		"name with backslash": func(q *checkout.GatewayRequest) { q.Name = `a\b` },
		"name padded":         func(q *checkout.GatewayRequest) { q.Name = " a" },
		"zero amount":         func(q *checkout.GatewayRequest) { q.Amount = 0 },
		"no notify_url":       func(q *checkout.GatewayRequest) { q.NotifyURL = "" },
		"loopback notify_url": func(q *checkout.GatewayRequest) { q.NotifyURL = "http://127.0.0.1:8080/n" },
		"private notify_url":  func(q *checkout.GatewayRequest) { q.NotifyURL = "http://10.1.2.3/n" },
		"link-local notify":   func(q *checkout.GatewayRequest) { q.NotifyURL = "http://169.254.169.254/latest" },
		"ftp notify_url":      func(q *checkout.GatewayRequest) { q.NotifyURL = "ftp://203.0.113.9/n" },
		"no return_url":       func(q *checkout.GatewayRequest) { q.ReturnURL = "" },
		"javascript return":   func(q *checkout.GatewayRequest) { q.ReturnURL = "javascript:alert(1)" },
		"short expiry":        func(q *checkout.GatewayRequest) { q.TTL = 30 * time.Second },
		"param with control":  func(q *checkout.GatewayRequest) { q.Param = "a\nb" },
	}
	for name, mutate := range cases {
		q := ok
		mutate(&q)
		o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), q)
		if checkout.KindOf(err) != checkout.KindInvalid || o != nil {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Fatalf("refused requests reached WeChat: %d orders", n)
	}
	if _, _, err := r.Svc.PlaceGatewayOrder(context.Background(), ok); err != nil {
		t.Fatalf("valid request: %v", err)
	}
}

// Three instances on one PostgreSQL run their delivery workers at once over
// the same paid gateway orders: each notification is leased by one of them
// (FOR UPDATE SKIP LOCKED), so the merchant hears of each payment once.
func TestInstancesDeliverEachNotificationOnce(t *testing.T) {
	if !testrig.UsesPostgres() {
		t.Skip("several instances share only PostgreSQL: run under .ci/with-postgres (make test-pg)")
	}
	r := testrig.New(t, testrig.Options{RealClock: true})
	app := r.MerchantApp(t, "shop")
	m := newMerchant(t, 0, "success")
	const n = 30
	for i := range n {
		o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app,
			OutTradeNo: fmt.Sprintf("MULTI-%02d", i), Name: "Item", Amount: 1, NotifyURL: m.srv.URL, Style: models.NotifyEpay})
		must(t, err)
		_, applied, err := r.Svc.ConfirmPayment(context.Background(), checkout.Payment{OutTradeNo: o.OutTradeNo,
			Payment: models.Payment{TransactionID: fmt.Sprintf("4200MULTI%02d", i), TotalFee: 1, Source: "test", Actor: "test"}})
		if err != nil || !applied {
			t.Fatalf("pay %s: %v %v", o.OutTradeNo, applied, err)
		}
	}
	instances := []*checkout.Service{r.Svc}
	for range 2 {
		st, err := store.OpenURL(r.DatabaseURL)
		must(t, err)
		t.Cleanup(func() { st.Close() })
		instances = append(instances, checkout.New(checkout.Deps{Store: st, WeChat: r.WeChat,
			Settings: checkout.Settings{OrderTTL: 15 * time.Minute, AllowPrivateNotify: true}}))
	}
	var wg sync.WaitGroup
	for _, svc := range instances {
		wg.Go(func() {
			for range 3 {
				svc.DeliverOnce(context.Background(), &http.Client{Timeout: 5 * time.Second}, 2, 5)
			}
		})
	}
	wg.Wait()
	reqs, _ := m.requests()
	seen := map[string]int{}
	for _, req := range reqs {
		seen[req.URL.Query().Get("out_trade_no")]++
	}
	if len(seen) != n {
		t.Fatalf("%d orders notified, want %d", len(seen), n)
	}
	for no, k := range seen {
		if k != 1 {
			t.Errorf("%s notified %d times", no, k)
		}
	}
}

// A merchant that holds every notification open delays nobody else's: the
// worker's free slots take the next due notification at once.
func TestASlowMerchantDoesNotHoldUpOthers(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	slowApp, fastApp := r.MerchantApp(t, "slow"), r.MerchantApp(t, "fast")
	hold := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-hold:
		case <-req.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hold)
	fast := newMerchant(t, 0, "success")
	place := func(app *models.MerchantApp, no, notify string) {
		o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: no,
			Name: "Item", Amount: 1, NotifyURL: notify, Style: models.NotifyEpay})
		must(t, err)
		_, _, err = r.Svc.ConfirmPayment(context.Background(), checkout.Payment{OutTradeNo: o.OutTradeNo,
			Payment: models.Payment{TransactionID: "4200" + no, TotalFee: 1, Source: "test", Actor: "test"}})
		must(t, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Svc.RunDeliveries(ctx, checkout.DeliveryOptions{Client: &http.Client{Timeout: time.Minute}, Workers: 4,
			Tick: 10 * time.Millisecond})
	}()
	defer func() { cancel(); <-done }()
	for i := range 10 {
		place(slowApp, fmt.Sprintf("SLOW%02d", i), slow.URL)
	}
	place(fastApp, "FAST", fast.srv.URL)
	deadline := time.Now().Add(10 * time.Second)
	for fast.n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the fast merchant was not notified while the slow one held its connections")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An order's notifications go out in the order they were written: a
// payment reported after the order was closed waits, queued, until the
// merchant has acknowledged order.closed.
func TestAnOrdersNotificationsGoOutInOrder(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	m := newMerchant(t, 1, "")
	o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: "ORDERED",
		Name: "Item", Amount: 100, NotifyURL: m.srv.URL, Style: models.NotifyWebhook})
	must(t, err)
	r.Clock.Advance(5 * time.Minute)
	if _, err := r.Svc.CloseGatewayOrder(context.Background(), app, o.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	_, applied, err := r.Svc.ConfirmPayment(context.Background(), checkout.Payment{OutTradeNo: o.OutTradeNo,
		Payment: models.Payment{TransactionID: "4200ORDERED", TotalFee: 100, Source: "test", Actor: "test"}})
	if err != nil || !applied {
		t.Fatalf("paid after close: %v %v", applied, err)
	}
	ds := deliveries(t, r, o)
	if len(ds) != 2 || ds[0].Type != models.TypeOrderClosed || ds[1].State != models.DeliveryQueued {
		t.Fatalf("deliveries %+v, want order.closed pending and order.paid queued", ds)
	}
	r.Deliver(t) // order.closed fails
	r.Deliver(t) // nothing due: order.paid waits
	r.Clock.Advance(15 * time.Second)
	r.Deliver(t) // order.closed delivered; order.paid now due
	r.Deliver(t) // order.paid delivered
	_, bodies := m.requests()
	var types []string
	for _, b := range bodies {
		var ev gateway.Event
		must(t, json.Unmarshal([]byte(b), &ev))
		types = append(types, ev.Type)
	}
	if strings.Join(types, ",") != "order.closed,order.closed,order.paid" {
		t.Fatalf("merchant got %v, want order.closed twice (one failure) then order.paid", types)
	}
}

// API v3 has no minimum age for closing an order: the merchant's close,
// and the expiry of a short order, go to WeChat at once.
func TestV3ClosesAtOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{V3: true})
	o := r.PlaceOrder(t, "COFFEE", 1)
	got, err := r.Svc.Close(context.Background(), o.OutTradeNo, "test")
	if err != nil || got.Status != models.StatusClosed {
		t.Fatalf("close a fresh v3 order: %+v, %v", got, err)
	}
	if info, ok := r.Sim.Order(o.OutTradeNo); !ok || info.TradeState != "CLOSED" {
		t.Fatalf("at the simulator: %+v", info)
	}
}
