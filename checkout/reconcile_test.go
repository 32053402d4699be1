package checkout_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// paidTransitions counts the order's moves to PAID in its timeline.
func paidTransitions(t *testing.T, r *testrig.Rig, o *models.Order) int {
	t.Helper()
	evs, err := r.Svc.Events(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == models.EventStatus && strings.Contains(ev.Summary, "→ PAID") {
			n++
		}
	}
	return n
}

func reconcile(r *testrig.Rig) { r.Svc.ReconcileOnce(context.Background(), 4, 100) }

func TestReconcilerFindsPaymentsWhoseNotificationsNeverCome(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	const n = 6
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: n}))
	var orders []*models.Order
	for range n {
		o := r.PlaceOrder(t, "COFFEE", 1)
		must(t, r.Sim.Pay(o.CodeURL))
		orders = append(orders, o)
	}
	reconcile(r) // not due yet: the first query comes 10 s after creation
	if got := r.Order(t, orders[0].OutTradeNo); got.Status != models.StatusNotPay {
		t.Fatalf("queried before due: %s", got.Status)
	}
	r.Clock.Advance(10 * time.Second)
	reconcile(r)
	for _, o := range orders {
		got := r.Order(t, o.OutTradeNo)
		if got.Status != models.StatusPaid || got.TransactionID == "" || paidTransitions(t, r, got) != 1 {
			t.Errorf("%s: %s transaction %q, want PAID once via orderquery", o.OutTradeNo, got.Status, got.TransactionID)
		}
	}
	for _, d := range r.Sim.Deliveries() {
		if d.HTTPStatus != 0 || d.Accepted {
			t.Errorf("simulator delivered a notification %+v, want all dropped", d)
		}
	}
}

func TestReconcilerBacksOffAndStopsAtPayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	var gaps []time.Duration
	last := r.Order(t, o.OutTradeNo).NextQueryAt
	for range 12 {
		r.Clock.Advance(last.Sub(r.Clock.Now()))
		reconcile(r)
		next := r.Order(t, o.OutTradeNo).NextQueryAt
		gaps = append(gaps, next.Sub(last))
		last = next
	}
	for i, g := range gaps {
		if g < 10*time.Second || g > 30*time.Second {
			t.Errorf("gap %d = %v, want between 10 s and 30 s", i, g)
		}
	}
	if gaps[0] != 10*time.Second || gaps[11] != 30*time.Second {
		t.Errorf("gaps = %v, want 10 s first growing to 30 s", gaps)
	}
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}))
	must(t, r.Sim.Pay(o.CodeURL))
	r.Clock.Advance(30 * time.Second)
	reconcile(r)
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Fatalf("status %s after a query of a paid order", got.Status)
	}
	queries := r.Order(t, o.OutTradeNo).Queries
	r.Clock.Advance(time.Hour)
	reconcile(r)
	if got := r.Order(t, o.OutTradeNo); got.Queries != queries || got.Status != models.StatusPaid {
		t.Errorf("a paid order was queried again or changed: %+v", got.Status)
	}
}

func TestReconcilerClosesExpiredOrders(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	unpaid := r.PlaceOrder(t, "COFFEE", 1)
	late := r.PlaceOrder(t, "PENNY", 1)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}))
	r.Clock.Advance(15*time.Minute - time.Second)
	must(t, r.Sim.Pay(late.CodeURL)) // paid in the last second, notification lost
	r.Clock.Advance(time.Second)
	reconcile(r)
	if got := r.Order(t, unpaid.OutTradeNo); got.Status != models.StatusClosed || got.ClosedAt == nil {
		t.Errorf("expired order is %s, want CLOSED", got.Status)
	}
	if info, _ := r.Sim.Order(unpaid.OutTradeNo); info.TradeState != "CLOSED" {
		t.Errorf("WeChat trade_state = %s, want CLOSED", info.TradeState)
	}
	if got := r.Order(t, late.OutTradeNo); got.Status != models.StatusPaid || got.HasFlag(models.FlagPaidAfterClose) {
		t.Errorf("order paid before expiry is %s flags %q, want PAID unflagged", got.Status, got.Flags)
	}
}

// payingCloser pays the order at the simulator just before closeorder, as a
// shopper who scans in the last second would.
type payingCloser struct {
	*wxpay.Client
	sim *wxpaysim.Server
}

func (p payingCloser) CloseOrder(ctx context.Context, no string) (*wxpay.CloseOrderResponse, error) {
	p.sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll})
	p.sim.PayOutTradeNo(no)
	return p.Client.CloseOrder(ctx, no)
}

func TestCloseThatMeetsORDERPAIDRecordsThePayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: payingCloser{r.WeChat, r.Sim}, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1"}})
	o, err := svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1})
	must(t, err)
	if _, err := svc.Close(context.Background(), o.OutTradeNo, "test"); checkout.KindOf(err) != checkout.KindConflict {
		t.Errorf("close within 5 minutes = %v, want a conflict", err)
	}
	r.Clock.Advance(6 * time.Minute)
	got, err := svc.Close(context.Background(), o.OutTradeNo, "test")
	if got == nil || got.Status != models.StatusPaid || got.TransactionID == "" {
		t.Fatalf("close that met ORDERPAID left the order %+v (%v), want PAID with the payment", got, err)
	}
	if err != nil {
		t.Errorf("close that met ORDERPAID and recorded the payment = %v, want no error", err)
	}
	evs, _ := svc.Events(context.Background(), got)
	var sawORDERPAID bool
	for _, ev := range evs {
		sawORDERPAID = sawORDERPAID || (ev.Kind == models.EventClose && strings.Contains(ev.Response, "ORDERPAID"))
	}
	if !sawORDERPAID {
		t.Error("timeline lacks the closeorder reply ORDERPAID")
	}
}

func TestUnknownUnifiedOrderOutcomeIsReEntered(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	// The call takes effect at WeChat but its reply is lost: the retry is a
	// re-entry and gets the same code_url.
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultHang, Endpoint: "unifiedorder", Apply: true, Delay: 5 * time.Second}))
	o := r.PlaceOrder(t, "COFFEE", 1)
	info, ok := r.Sim.Order(o.OutTradeNo)
	if !ok || info.CodeURL != o.CodeURL || o.Prepay != models.PrepayDone {
		t.Errorf("order %s code_url %q, simulator has %q", o.Prepay, o.CodeURL, info.CodeURL)
	}
}

func TestCrashBeforeUnifiedOrderReplyIsRecovered(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	// An order as a crash leaves it: created, its unifiedorder never answered.
	p, err := r.Store.ProductBySKU(context.Background(), "COFFEE")
	must(t, err)
	now := r.Clock.Now().Truncate(time.Second)
	o := &models.Order{OutTradeNo: "20261122100000000000CRASH001", Token: "crash-token-0000000000", ProductID: &p.ID, SKU: p.SKU,
		Body: p.Name, Quantity: 1, UnitPrice: p.Price, TotalFee: p.Price, Status: models.StatusNotPay, Prepay: models.PrepayPending,
		TimeStart: now, ExpiresAt: now.Add(15 * time.Minute), NextQueryAt: now.Add(10 * time.Second), CreatedAt: now}
	must(t, r.Store.CreateOrder(context.Background(), o, nil))
	r.Clock.Advance(30 * time.Second)
	reconcile(r) // still within the grace a live checkout may need
	if got := r.Order(t, o.OutTradeNo); got.Prepay != models.PrepayPending {
		t.Fatalf("re-entered while a checkout might still be waiting: %s", got.Prepay)
	}
	r.Clock.Advance(time.Minute)
	reconcile(r)
	got := r.Order(t, o.OutTradeNo)
	if info, ok := r.Sim.Order(o.OutTradeNo); got.Prepay != models.PrepayDone || !ok || info.CodeURL != got.CodeURL {
		t.Errorf("after recovery: prepay %s code_url %q; simulator %+v", got.Prepay, got.CodeURL, info)
	}
}

func TestWeChatFailuresLeaveNoStuckOrders(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "orderquery"}))
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}))
	must(t, r.Sim.Pay(o.CodeURL))
	r.Clock.Advance(10 * time.Second)
	reconcile(r) // SYSTEMERROR: rescheduled
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay || !got.NextQueryAt.After(r.Clock.Now()) {
		t.Fatalf("after SYSTEMERROR: %s next %v", got.Status, got.NextQueryAt)
	}
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultHang, Endpoint: "orderquery", Delay: 5 * time.Second}))
	r.Clock.Advance(10 * time.Second)
	reconcile(r) // hangs past the client's timeout: rescheduled
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay || !got.NextQueryAt.After(r.Clock.Now()) {
		t.Fatalf("after a hang: %s next %v", got.Status, got.NextQueryAt)
	}
	r.Clock.Advance(20 * time.Second)
	reconcile(r)
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Errorf("status %s once WeChat answers, want PAID", got.Status)
	}
}

func TestDuplicatedAndReorderedNotificationsPayEachOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	const n = 5
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultReorder, Count: n}))
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDuplicate, Count: n, Copies: 20}))
	var orders []*models.Order
	for range n {
		orders = append(orders, r.PlaceOrder(t, "COFFEE", 2))
	}
	var wg sync.WaitGroup
	for _, o := range orders {
		wg.Add(1)
		go func() { defer wg.Done(); must(t, r.Sim.Pay(o.CodeURL)) }()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, o := range orders {
		for r.Order(t, o.OutTradeNo).Status != models.StatusPaid {
			if time.Now().After(deadline) {
				t.Fatalf("%s not paid by notifications", o.OutTradeNo)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Every copy must be answered, and every answer must be the SUCCESS XML.
	var deliveries []wxpaysim.Delivery
	for deadline := time.Now().Add(10 * time.Second); ; {
		deliveries = deliveries[:0]
		for _, d := range r.Sim.Deliveries() {
			if d.HTTPStatus != 0 || d.Error != "" {
				deliveries = append(deliveries, d)
			}
		}
		if len(deliveries) >= n*20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(deliveries) < n*20 {
		t.Errorf("%d copies answered, want %d", len(deliveries), n*20)
	}
	for _, d := range deliveries {
		if !d.Accepted {
			t.Errorf("copy not acknowledged: %+v", d)
		}
	}
	for _, o := range orders {
		if got := paidTransitions(t, r, o); got != 1 {
			t.Errorf("%s moved to PAID %d times", o.OutTradeNo, got)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
