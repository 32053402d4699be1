package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/wxpaysim"
)

// adminNotifyReceiver is a merchant's notify_url: it answers HTTP 500 with
// a reply longer than the 256 bytes an attempt keeps (with markup, to see
// it escaped), until told to acknowledge.
type adminNotifyReceiver struct {
	srv *httptest.Server
	ok  atomic.Bool
	n   atomic.Int32
}

// The failing reply: its first 256 bytes end with keptTail; what follows
// must never be shown.
const (
	replyHead = "<b>busy</b>"
	keptTail  = "KEPT-UP-TO-256"
	cutTail   = "CUT-AFTER-256"
)

var failingReply = replyHead + strings.Repeat("x", models.MaxReplyKept-len(replyHead)-len(keptTail)) + keptTail + cutTail

func newAdminNotifyReceiver(t *testing.T) *adminNotifyReceiver {
	t.Helper()
	m := &adminNotifyReceiver{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.n.Add(1)
		if m.ok.Load() {
			fmt.Fprint(w, "success")
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, failingReply)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// adminPaidGatewayOrder places an epay order of app notifying m and pays
// it deterministically: the simulator's notification is dropped and the
// payment is confirmed by a query.
func adminPaidGatewayOrder(t *testing.T, r *testrig.Rig, app *models.MerchantApp, outTradeNo string, m *adminNotifyReceiver) *models.Order {
	t.Helper()
	return adminPaidGatewayOrderStyle(t, r, app, outTradeNo, m, models.NotifyEpay)
}

func adminPaidGatewayOrderStyle(t *testing.T, r *testrig.Rig, app *models.MerchantApp, outTradeNo string, m *adminNotifyReceiver,
	style models.NotifyStyle) *models.Order {
	t.Helper()
	ctx := context.Background()
	o, _, err := r.Svc.PlaceGatewayOrder(ctx, checkout.GatewayRequest{App: app, OutTradeNo: outTradeNo, Name: "item",
		Amount: 100, NotifyURL: m.srv.URL + "/notify", ReturnURL: "https://shop.example/return", Param: "uid=7",
		Style: style})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	if err := r.Svc.Sync(ctx, o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Fatalf("order %s is %s after payment", o.OutTradeNo, got.Status)
	}
	return o
}

// onlyDelivery is the order's one notification.
func onlyDelivery(t *testing.T, r *testrig.Rig, o *models.Order) models.Delivery {
	t.Helper()
	ds, err := r.Svc.Deliveries(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("order %s has %d deliveries, want 1", o.OutTradeNo, len(ds))
	}
	return ds[0]
}

func resendPath(o *models.Order, id uint) string {
	return fmt.Sprintf("/admin/orders/%s/deliveries/%d/resend", o.OutTradeNo, id)
}

// checkNoSecrets: the page shows no app key, and no untranslated text key.
func checkNoSecrets(t *testing.T, what string, p adminPage, app *models.MerchantApp) {
	t.Helper()
	if strings.Contains(p.Body, app.Key) {
		t.Errorf("%s shows the app key", what)
	}
	for _, key := range []string{"admin_delivery_", "admin_notify", "admin_merchant", "admin_deliveries_", "admin_no_"} {
		if strings.Contains(p.Body, key) {
			t.Errorf("%s shows the untranslated key %s…", what, key)
		}
	}
}

func checkContains(t *testing.T, what string, p adminPage, wants ...string) {
	t.Helper()
	if p.Status != http.StatusOK {
		t.Fatalf("%s = %d, want 200", what, p.Status)
	}
	for _, want := range wants {
		if !strings.Contains(p.Body, want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
}

func TestAdminShowsAFailingMerchantNotificationAndResendsIt(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "商户")
	m := newAdminNotifyReceiver(t)
	o := adminPaidGatewayOrder(t, r, app, "M1", m)
	if n := r.Deliver(t); n != 1 || m.n.Load() != 1 {
		t.Fatalf("first pass attempted %d, merchant got %d requests; want 1 and 1", n, m.n.Load())
	}
	d := onlyDelivery(t, r, o)
	b := r.AdminBrowser(t)
	page := "/admin/orders/" + o.OutTradeNo

	p := adminGet(t, r, b, page)
	checkContains(t, "order page", p,
		`id="merchant"`, fmt.Sprintf(`href="/admin/apps/%d"`, app.Pid), "商户", `id="merchant-out-trade-no">M1<`,
		m.srv.URL+"/notify", "https://shop.example/return", "uid=7", "易支付", "商户通知",
		fmt.Sprintf(`data-delivery-id="%d" data-state="pending" data-type="order.paid"`, d.ID),
		"HTTP 500", "重试中", "下次发送", `action="`+resendPath(o, d.ID)+`"`,
		`data-kind="merchant_notify"`, "商户应答（前 256 字节）", "trade_status=TRADE_SUCCESS",
		"&lt;b&gt;busy&lt;/b&gt;", keptTail)
	if strings.Contains(p.Body, cutTail) {
		t.Error("the order page shows more than the first 256 bytes of the reply")
	}
	if strings.Contains(p.Body, replyHead) {
		t.Error("the merchant's reply is not escaped")
	}
	checkNoSecrets(t, "order page", p, app)

	list := adminGet(t, r, b, "/admin/deliveries")
	checkContains(t, "failing list", list, fmt.Sprintf(`data-delivery-id="%d" data-out-trade-no="%s"`, d.ID, o.OutTradeNo),
		`href="/admin/orders/`+o.OutTradeNo+`"`, fmt.Sprintf(`href="/admin/apps/%d"`, app.Pid), "HTTP 500", `name="back" value="deliveries"`)
	checkNoSecrets(t, "failing list", list, app)

	if p := adminPost(t, r, b, resendPath(o, d.ID), url.Values{}); p.Status != http.StatusForbidden {
		t.Errorf("resend without the CSRF token = %d, want 403", p.Status)
	}
	if p := adminPost(t, r, b, resendPath(o, d.ID), url.Values{"csrf_token": {"x" + adminToken(t, r, b)}}); p.Status != http.StatusForbidden {
		t.Errorf("resend with a wrong CSRF token = %d, want 403", p.Status)
	}
	if got := onlyDelivery(t, r, o); got.Failures != 1 || !got.NextAt.Equal(d.NextAt) {
		t.Fatalf("a refused resend changed the delivery: %+v", got)
	}

	p = adminPost(t, r, b, resendPath(o, d.ID), url.Values{"csrf_token": {adminToken(t, r, b)}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != page {
		t.Fatalf("resend = %d to %q, want 303 back to the order", p.Status, p.Header.Get("Location"))
	}
	got := onlyDelivery(t, r, o)
	if got.State != models.DeliveryPending || got.Failures != 0 || got.NextAt.After(r.Clock.Now()) || got.Attempts != 1 {
		t.Fatalf("after resend: %+v, want pending, due now, failures reset", got)
	}
	if f := adminFlash(t, adminGet(t, r, b, page)); !strings.HasPrefix(f, "ok:") {
		t.Errorf("flash = %q", f)
	}
	checkResendRecorded(t, r, o)

	m.ok.Store(true)
	if n := r.Deliver(t); n != 1 {
		t.Fatalf("after resend the pass attempted %d, want 1 (due at once)", n)
	}
	p = adminGet(t, r, b, page)
	checkContains(t, "order page after delivery", p, fmt.Sprintf(`data-delivery-id="%d" data-state="delivered"`, d.ID),
		"已送达", "送达于", "HTTP 200")
	checkNoSecrets(t, "order page after delivery", p, app)
	checkContains(t, "failing list after delivery", adminGet(t, r, b, "/admin/deliveries"), `id="no-failing"`)
}

// checkResendRecorded: the resend is in the timeline as the admin's.
func checkResendRecorded(t *testing.T, r *testrig.Rig, o *models.Order) {
	t.Helper()
	evs, err := r.Svc.Events(context.Background(), r.Order(t, o.OutTradeNo))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Kind == models.EventDelivery && actorRe.MatchString(ev.Actor) {
			return
		}
	}
	t.Error("the resend is not in the timeline as the admin's")
}

func TestAdminResendRefusesAnotherOrdersNotification(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "商户")
	m := newAdminNotifyReceiver(t)
	o1 := adminPaidGatewayOrder(t, r, app, "M1", m)
	o2 := adminPaidGatewayOrder(t, r, app, "M2", m)
	shop := r.PlaceOrder(t, "COFFEE", 1)
	r.Deliver(t)
	d2 := onlyDelivery(t, r, o2)
	b := r.AdminBrowser(t)
	token := adminToken(t, r, b)

	for _, path := range []string{
		resendPath(o1, d2.ID),      // o2's notification through o1
		resendPath(shop, d2.ID),    // through a shop order
		resendPath(o1, d2.ID+1000), // none
		"/admin/orders/" + o1.OutTradeNo + "/deliveries/abc/resend",
		"/admin/orders/" + o1.OutTradeNo + "/deliveries/0/resend",
		"/admin/orders/" + o1.OutTradeNo + "/deliveries/-1/resend",
	} {
		if p := adminPost(t, r, b, path, url.Values{"csrf_token": {token}}); p.Status != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, p.Status)
		}
	}
	if got := onlyDelivery(t, r, o2); got.Failures != d2.Failures || !got.NextAt.Equal(d2.NextAt) {
		t.Errorf("o2's delivery changed: %+v, was %+v", got, d2)
	}
	if p := adminGet(t, r, b, "/admin/orders/"+shop.OutTradeNo); strings.Contains(p.Body, `id="merchant"`) || strings.Contains(p.Body, `id="deliveries"`) {
		t.Error("a shop order shows a merchant block")
	}
}

func TestAdminFailingListShowsAGivenUpNotificationAndResendsFromThere(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "v2board")
	m := newAdminNotifyReceiver(t)
	o := adminPaidGatewayOrder(t, r, app, "V1", m)
	for _, gap := range append([]time.Duration{0}, models.ResendSchedule...) {
		r.Clock.Advance(gap)
		if n := r.Deliver(t); n != 1 {
			t.Fatalf("%d attempted, want 1", n)
		}
	}
	d := onlyDelivery(t, r, o)
	if d.State != models.DeliveryFailed {
		t.Fatalf("delivery %+v, want failed", d)
	}
	b := r.AdminBrowser(t)
	list := adminGet(t, r, b, "/admin/deliveries")
	checkContains(t, "failing list", list, fmt.Sprintf(`data-delivery-id="%d" data-out-trade-no="%s" data-state="failed"`, d.ID, o.OutTradeNo),
		"已失败", "不再自动重发", "v2board", fmt.Sprintf(`<td class="num">%d</td>`, len(models.ResendSchedule)+1))
	checkNoSecrets(t, "failing list", list, app)

	p := adminPost(t, r, b, resendPath(o, d.ID), url.Values{"csrf_token": {adminToken(t, r, b)}, "back": {"deliveries"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/deliveries" {
		t.Fatalf("resend from the list = %d to %q, want 303 back to the list", p.Status, p.Header.Get("Location"))
	}
	list = adminGet(t, r, b, "/admin/deliveries")
	if f := adminFlash(t, list); !strings.HasPrefix(f, "ok:") || !strings.Contains(f, fmt.Sprint(d.ID)) {
		t.Errorf("flash = %q", f)
	}
	// Back in the queue with its schedule started over, it is not failing
	// until an attempt fails again.
	checkContains(t, "failing list after resend", list, `id="no-failing"`)
	if got := onlyDelivery(t, r, o); got.State != models.DeliveryPending || got.Failures != 0 {
		t.Errorf("after resend: %+v", got)
	}
}

func TestAdminMerchantNotificationsInEnglish(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	m := newAdminNotifyReceiver(t)
	o := adminPaidGatewayOrder(t, r, app, "E1", m)
	r.Deliver(t)
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo+"?lang=en")
	checkContains(t, "English order page", p, `<html lang="en"`, "Merchant", "Merchant notifications", "epay (GET notify_url)",
		"Pending", "retrying", "next attempt", "Resend", "Last HTTP status", "Merchant&#39;s reply (first 256 bytes)",
		"Failing notifications")
	if strings.Contains(p.Body, "商户通知") {
		t.Error("the English page shows the Chinese section title")
	}
	checkNoSecrets(t, "English order page", p, app)
	hook := adminPaidGatewayOrderStyle(t, r, app, "E2", m, models.NotifyWebhook)
	r.Deliver(t)
	d := onlyDelivery(t, r, hook)
	p = adminGet(t, r, b, "/admin/orders/"+hook.OutTradeNo)
	checkContains(t, "webhook order page", p, "Webhook (signed JSON POST)", d.EventID, "HTTP 500",
		"POST "+m.srv.URL+"/notify", "&#34;type&#34;:&#34;order.paid&#34;")
	if strings.Contains(p.Body, "v1=") {
		t.Error("the webhook order page shows a signature")
	}
	checkNoSecrets(t, "webhook order page", p, app)
	checkContains(t, "English failing list", adminGet(t, r, b, "/admin/deliveries?lang=en"), "Failing notifications",
		"Pending", "next attempt", "Resend")
}
