package checkout_test

import (
	"context"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// unknownOrder stores an order as a restart of the simulator (or a change of
// merchant) leaves it: placed, but unknown to WeChat.
func unknownOrder(t *testing.T, r *testrig.Rig) *models.Order {
	t.Helper()
	p, err := r.Store.ProductBySKU(context.Background(), "COFFEE")
	must(t, err)
	now := r.Clock.Now().Truncate(time.Second)
	o := &models.Order{OutTradeNo: "20261122100000000000GONE0001", Token: "gone-token-00000000000", ProductID: &p.ID, SKU: p.SKU,
		Body: p.Name, Quantity: 1, UnitPrice: p.Price, TotalFee: p.Price, Status: models.StatusNotPay, Prepay: models.PrepayDone,
		CodeURL: "weixin://wxpay/bizpayurl?pr=gone", TimeStart: now, ExpiresAt: now.Add(15 * time.Minute),
		NextQueryAt: now.Add(10 * time.Second), CreatedAt: now}
	must(t, r.Store.CreateOrder(context.Background(), o, nil))
	return o
}

// runUntilQuiet drives the reconciler from query to query until the order
// has nothing due for an hour, and returns the gaps between queries.
func runUntilQuiet(t *testing.T, r *testrig.Rig, svc *checkout.Service, no string) []time.Duration {
	t.Helper()
	var gaps []time.Duration
	last := r.Clock.Now()
	for range 200 {
		o := r.Order(t, no)
		if !o.Status.Open() {
			return gaps
		}
		if wait := o.NextQueryAt.Sub(r.Clock.Now()); wait > 0 {
			r.Clock.Advance(wait)
		}
		gaps = append(gaps, r.Clock.Now().Sub(last))
		last = r.Clock.Now()
		svc.ReconcileOnce(context.Background(), 4, 100)
	}
	t.Fatalf("order %s still open after 200 rounds; gaps %v", no, gaps)
	return nil
}

func countKind(t *testing.T, r *testrig.Rig, no, kind string) int {
	t.Helper()
	evs, err := r.Svc.Events(context.Background(), r.Order(t, no))
	must(t, err)
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func TestOrderUnknownToWeChatBacksOffAndEnds(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := unknownOrder(t, r)
	gaps := runUntilQuiet(t, r, r.Svc, o.OutTradeNo)
	t.Logf("gaps between queries: %v", gaps)
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusClosed || !got.HasFlag(models.FlagNotAtWeChat) || got.FailReason == "" {
		t.Fatalf("order is %s flags %q reason %q, want CLOSED and flagged not_at_wechat with the reason", got.Status, got.Flags, got.FailReason)
	}
	if !got.ClosedAt.Equal(o.ExpiresAt) && got.ClosedAt.Before(o.ExpiresAt) {
		t.Errorf("closed at %v, before its time was up (%v)", got.ClosedAt, o.ExpiresAt)
	}
	for i, g := range gaps[1:] {
		if g < 10*time.Second {
			t.Errorf("gap %d = %v: faster than the normal schedule", i+1, g)
		}
	}
	if q := countKind(t, r, o.OutTradeNo, models.EventQuery); q > 10 {
		t.Errorf("%d orderqueries of an order WeChat does not know in its 15 minutes, want a few (gaps %v)", q, gaps)
	}
	// Ended: an hour later nothing is queried any more.
	q := countKind(t, r, o.OutTradeNo, models.EventQuery)
	r.Clock.Advance(time.Hour)
	reconcile(r)
	if again := countKind(t, r, o.OutTradeNo, models.EventQuery); again != q {
		t.Errorf("a closed order was queried again (%d → %d)", q, again)
	}
}

// lyingQuery reports every order paid, with another amount.
type lyingQuery struct{ *wxpay.Client }

func (l lyingQuery) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	return &wxpay.OrderQueryResponse{TradeState: "SUCCESS", OutTradeNo: no, TotalFee: 1, TransactionID: "4200000001LIE",
		TimeEnd: time.Date(2026, 11, 22, 10, 0, 5, 0, time.UTC)}, nil
}

func TestPersistentAmountMismatchBacksOffAndEnds(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: lyingQuery{r.WeChat}, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1"}})
	gaps := runUntilQuiet(t, r, svc, o.OutTradeNo)
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusClosed || !got.HasFlag(models.FlagAmountMismatch) || got.TransactionID != "" {
		t.Fatalf("order is %s flags %q transaction %q, want CLOSED, flagged amount_mismatch, never paid", got.Status, got.Flags, got.TransactionID)
	}
	if q := countKind(t, r, o.OutTradeNo, models.EventQuery); q > 10 {
		t.Errorf("%d orderqueries answering another amount in 15 minutes, want a few (gaps %v)", q, gaps)
	}
}
