package handlers_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

var actorRe = regexp.MustCompile(`^admin:[0-9a-f]{8}$`)

// checkActor: the action is in the timeline as the admin's, and so is the
// call to WeChat it made.
func checkActor(t *testing.T, r *testrig.Rig, no, action, callKind string) {
	t.Helper()
	evs := adminEvents(t, r, no)
	if len(evs) != 1 || !actorRe.MatchString(evs[0].Actor) || evs[0].Summary != evs[0].Actor+" requested "+action {
		t.Fatalf("admin events = %+v, want one by admin:<8 hex> requesting %s", evs, action)
	}
	all, _ := r.Svc.Events(t.Context(), r.Order(t, no))
	for _, ev := range all {
		if ev.Kind == callKind && ev.Actor == evs[0].Actor {
			return
		}
	}
	t.Errorf("no %s event by %s in the timeline", callKind, evs[0].Actor)
}

func TestAdminSyncFindsAPaymentWhoseNotificationWasLost(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay {
		t.Fatalf("before sync the order is %s; the notification should have been dropped", got.Status)
	}
	b := r.AdminBrowser(t)
	p := adminAct(t, r, b, o, "sync")
	got := r.Order(t, o.OutTradeNo)
	info, _ := r.Sim.Order(o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID == "" || got.TransactionID != info.TransactionID {
		t.Fatalf("after sync: %s %q, want PAID with the simulator's transaction %q", got.Status, got.TransactionID, info.TransactionID)
	}
	if f := adminFlash(t, p); !strings.HasPrefix(f, "ok:") || !strings.Contains(f, "PAID") {
		t.Errorf("flash = %q", f)
	}
	if !strings.Contains(p.Body, got.TransactionID) {
		t.Error("the order page does not show the transaction")
	}
	checkActor(t, r, o.OutTradeNo, "sync", models.EventQuery)
	if again := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo); strings.Contains(again.Body, `id="flash"`) {
		t.Error("the flash message shows twice")
	}
}

func TestAdminCloseWaitsFiveMinutesThenCloses(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	b := r.AdminBrowser(t)
	r.Clock.Advance(4 * time.Minute)
	p := adminAct(t, r, b, o, "close")
	if f := adminFlash(t, p); !strings.HasPrefix(f, "error:") || !strings.Contains(f, "5 分钟") {
		t.Errorf("flash = %q, want the 5-minute reason", f)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay {
		t.Fatalf("closed within 5 minutes: %s", got.Status)
	}

	r.Clock.Advance(2 * time.Minute)
	p = adminAct(t, r, b, o, "close")
	if f := adminFlash(t, p); !strings.HasPrefix(f, "ok:") || !strings.Contains(f, "CLOSED") {
		t.Errorf("flash = %q", f)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusClosed || got.ClosedAt == nil {
		t.Errorf("order = %s, want CLOSED", got.Status)
	}
	if info, _ := r.Sim.Order(o.OutTradeNo); info.TradeState != wxpay.TradeClosed {
		t.Errorf("at WeChat the trade is %s, want CLOSED", info.TradeState)
	}
	if strings.Contains(p.Body, `id="close"`) {
		t.Error("a closed order still offers Close")
	}
}

func TestAdminCloseOfAnOrderPaidAtWeChatRecordsThePayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 2)
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	r.Clock.Advance(6 * time.Minute)
	p := adminAct(t, r, r.AdminBrowser(t), o, "close")
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID == "" || got.ClosedAt != nil {
		t.Fatalf("order = %s %q closed %v, want PAID with the payment and never closed", got.Status, got.TransactionID, got.ClosedAt)
	}
	if f := adminFlash(t, p); !strings.Contains(f, "已记录支付") {
		t.Errorf("flash = %q, want the payment reported", f)
	}
	if info, _ := r.Sim.Order(o.OutTradeNo); info.TradeState != wxpay.TradeSuccess {
		t.Errorf("at WeChat the trade is %s, want SUCCESS", info.TradeState)
	}
	checkActor(t, r, o.OutTradeNo, "close", models.EventQuery)
}

func TestAdminOrderPageShowsFlagsAndRawXML(t *testing.T) {
	r := testrig.New(t, testrig.Options{MinCloseAge: -1})
	o := r.PlaceOrder(t, "COFFEE", 1)
	postNotify(t, r, notification(t, o, func(p wxpay.Params) { p["total_fee"] = "1" }), "text/xml")
	bad := strings.Replace(string(notification(t, o, nil)), "<bank_type><![CDATA[CMC]]>", "<bank_type><![CDATA[ICBC]]>", 1)
	postNotify(t, r, []byte(bad), "text/xml")
	postNotify(t, r, []byte(bad), "text/xml")
	r.Clock.Advance(6 * time.Minute)
	if _, err := r.Svc.Close(t.Context(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	postNotify(t, r, notification(t, o, nil), "text/xml")

	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders/"+o.OutTradeNo)
	for _, want := range []string{
		`data-flag="paid_after_close"`, `data-flag="amount_mismatch"`, "× 1", `data-flag="invalid_sign"`, "× 2",
		`data-alert="amount_mismatch"`, `data-alert="bad_sign"`,
		`data-kind="unifiedorder"`, `data-kind="notify"`, `data-kind="closeorder"`, `data-kind="status"`,
		"&lt;out_trade_no&gt;", `<details class="raw">`, "4200000001202611221234567890",
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("order page lacks %s", want)
		}
	}
	if strings.Contains(p.Body, wxpaysim.DemoAPIKey) {
		t.Error("the order page shows the API key")
	}
	list := adminGet(t, r, r.AdminBrowser(t), "/admin/orders")
	if !strings.Contains(list.Body, `<tr data-out-trade-no="`+o.OutTradeNo+`" class="flagged">`) {
		t.Error("the list does not mark the flagged order")
	}
}

// An order paid after its product ran out is paid all the same and its
// page says so: restock and ship, or refund.
func TestAdminOrderPageShowsOversold(t *testing.T) {
	r := testrig.New(t, testrig.Options{MinCloseAge: -1})
	stock := 1
	p := &models.Product{SKU: "LAST-ONE", Name: "最后一件", Price: 990, Active: true, Stock: &stock}
	if err := r.Svc.CreateProduct(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	o := r.PlaceOrder(t, "LAST-ONE", 1)
	r.Clock.Advance(6 * time.Minute)
	if _, err := r.Svc.Close(t.Context(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	r.PlaceOrder(t, "LAST-ONE", 1) // takes the piece o gave back
	postNotify(t, r, notification(t, o, nil), "text/xml")
	page := adminGet(t, r, r.AdminBrowser(t), "/admin/orders/"+o.OutTradeNo)
	if !strings.Contains(page.Body, `data-flag="oversold"`) || !strings.Contains(page.Body, "超卖") {
		t.Errorf("the page of an oversold order has no alert:\n%s", page.Body)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Errorf("oversold order is %s, want PAID", got.Status)
	}
}
