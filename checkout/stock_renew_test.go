package checkout_test

import (
	"context"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/wxpaysim"
)

// Stock across renewals and crash recovery (see stock_test.go).

func TestRenewalPassesTheStockOn(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 1)
	o, err := buy(context.Background(), r, "TEA", 1)
	must(t, err)
	r.Clock.Advance(16 * time.Minute) // expired, not closed yet: it still holds the last one
	next, err := r.Svc.Renew(context.Background(), o.Token, "127.0.0.1", "")
	if err != nil {
		t.Fatalf("renewing the order that holds the last piece: %v", err)
	}
	if s := stockOf(t, r, p.ID); s != 0 {
		t.Errorf("stock = %d after renewal, want 0", s)
	}
	if !next.StockHeld || r.Order(t, o.OutTradeNo).StockHeld {
		t.Errorf("successor holds %v, predecessor %v; want the hold passed on", next.StockHeld, r.Order(t, o.OutTradeNo).StockHeld)
	}
	_, err = r.Svc.Close(context.Background(), o.OutTradeNo, "admin")
	must(t, err)
	if s := stockOf(t, r, p.ID); s != 0 {
		t.Errorf("stock = %d after closing the renewed order, want 0 (the successor holds it)", s)
	}
	r.Clock.Advance(16 * time.Minute)
	reconcile(r)
	if got := r.Order(t, next.OutTradeNo); got.Status != models.StatusClosed {
		t.Fatalf("successor %s, want CLOSED", got.Status)
	}
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after the successor expired, want 1", s)
	}
}

// A renewed order paid by its old code after all (a payment made just
// before it expired, reported late) takes its goods again.
func TestPaymentOfRenewedOrderTakesStock(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 3)
	o, err := buy(context.Background(), r, "TEA", 1)
	must(t, err)
	r.Clock.Advance(16 * time.Minute)
	next, err := r.Svc.Renew(context.Background(), o.Token, "127.0.0.1", "")
	must(t, err)
	latePayment(t, r, o, "4200000000000000000000000003")
	r.Clock.Advance(6 * time.Minute)
	_, err = r.Svc.Close(context.Background(), next.OutTradeNo, "admin")
	must(t, err)
	if s := stockOf(t, r, p.ID); s != 2 {
		t.Errorf("stock = %d, want 2: one piece paid by the renewed order", s)
	}
}

// crashedCheckout stores an order of qty pieces as a checkout that stopped
// before it heard from WeChat leaves it: holding its stock, prepay pending.
func crashedCheckout(t *testing.T, r *testrig.Rig, p *models.Product, no string, qty int) *models.Order {
	t.Helper()
	now := r.Clock.Now().UTC().Truncate(time.Second)
	id := p.ID
	o := &models.Order{OutTradeNo: no, Token: "tok-" + no, ProductID: &id, SKU: p.SKU, Body: p.Name,
		TradeType: "NATIVE", Quantity: qty, UnitPrice: p.Price, TotalFee: models.Money(qty) * p.Price,
		Items:  []models.OrderItem{{ProductID: &id, SKU: p.SKU, Name: p.Name, UnitPrice: p.Price, Quantity: qty}},
		Status: models.StatusNotPay, Prepay: models.PrepayPending, ClientIP: "127.0.0.1", ClientKey: "127.0.0.1",
		TimeStart: now, ExpiresAt: now.Add(15 * time.Minute), NextQueryAt: now, CreatedAt: now}
	must(t, r.Store.CreateOrder(context.Background(), o, &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper", Summary: "created"}))
	return o
}

func TestRecoveredPrepayKeepsOrGivesBackStock(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 4)
	kept := crashedCheckout(t, r, p, "CRASH00000000001", 3)
	if s := stockOf(t, r, p.ID); s != 1 || !kept.StockHeld {
		t.Fatalf("stock = %d, held %v while the prepay is pending, want 1, held", s, kept.StockHeld)
	}
	r.Clock.Advance(2 * time.Minute) // past the grace a live checkout has
	reconcile(r)
	got := r.Order(t, kept.OutTradeNo)
	if got.Prepay != models.PrepayDone || got.Status != models.StatusNotPay || !got.StockHeld {
		t.Errorf("recovered order %s prepay %s holding %v, want NOTPAY with its code, holding", got.Status, got.Prepay, got.StockHeld)
	}
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after recovery, want 1", s)
	}

	refused := crashedCheckout(t, r, p, "CRASH00000000002", 1)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "unifiedorder", Count: 2}))
	r.Clock.Advance(2 * time.Minute) // past the grace a live checkout has
	reconcile(r)
	if got := r.Order(t, refused.OutTradeNo); got.Status != models.StatusFailed || got.StockHeld {
		t.Errorf("refused recovery: %s holding %v, want FAILED holding nothing", got.Status, got.StockHeld)
	}
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after a failed recovery, want 1 (given back)", s)
	}
}
