package checkout_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/wxpaysim"
)

// stocked adds an active product with stock to the rig's shop.
func stocked(t *testing.T, r *testrig.Rig, sku string, price models.Money, stock int) *models.Product {
	t.Helper()
	p := &models.Product{SKU: sku, Name: "库存商品 " + sku, NameEN: "Stocked " + sku, Price: price, Active: true, Stock: &stock}
	must(t, r.Svc.CreateProduct(context.Background(), p))
	return p
}

// stockOf is the product's stock as the database has it.
func stockOf(t *testing.T, r *testrig.Rig, id uint) int {
	t.Helper()
	p, err := r.Store.ProductByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Stock == nil {
		t.Fatalf("product %d has no stock", id)
	}
	return *p.Stock
}

// stockEvents counts the order's timeline entries about stock.
func stockEvents(t *testing.T, r *testrig.Rig, no, what string) int {
	t.Helper()
	evs, err := r.Svc.Events(context.Background(), r.Order(t, no))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if strings.Contains(ev.Summary, what) {
			n++
		}
	}
	return n
}

func buy(ctx context.Context, r *testrig.Rig, sku string, qty int) (*models.Order, error) {
	return r.Svc.PlaceOrder(ctx, checkout.PlaceRequest{SKU: sku, Quantity: qty, ClientIP: "127.0.0.1"})
}

func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 7)
	var ok, soldOut, other atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := buy(context.Background(), r, "TEA", 1)
			var e *checkout.Error
			switch {
			case err == nil:
				ok.Add(1)
			case checkout.KindOf(err) == checkout.KindConflict && asError(err, &e) && e.Key == "err_sold_out":
				soldOut.Add(1)
			default:
				other.Add(1)
				t.Errorf("checkout: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 7 || soldOut.Load() != 43 || other.Load() != 0 {
		t.Errorf("%d orders, %d sold out, %d other errors; want 7, 43, 0", ok.Load(), soldOut.Load(), other.Load())
	}
	if got := stockOf(t, r, p.ID); got != 0 {
		t.Errorf("stock = %d, want 0", got)
	}
	if n := r.CountRows(t, "orders"); n != 7 {
		t.Errorf("%d orders stored, want 7", n)
	}
}

func TestDuplicatePaymentsTakeStockOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 5)
	o, err := buy(context.Background(), r, "TEA", 2)
	must(t, err)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}))
	must(t, r.Sim.Pay(o.CodeURL))
	info, _ := r.Sim.Order(o.OutTradeNo)
	paidAt := r.Clock.Now()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				must(t, r.Svc.Sync(context.Background(), o.OutTradeNo, "test"))
				return
			}
			_, _, err := r.Svc.ConfirmPayment(context.Background(), checkout.Payment{OutTradeNo: o.OutTradeNo,
				Payment: models.Payment{TransactionID: info.TransactionID, TotalFee: o.TotalFee, PaidAt: paidAt, Source: "notify", Actor: "wechat"}})
			must(t, err)
		})
	}
	wg.Wait()
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || !got.StockHeld || paidTransitions(t, r, got) != 1 {
		t.Errorf("order %s held %v paid %d times, want PAID once, holding", got.Status, got.StockHeld, paidTransitions(t, r, got))
	}
	if s := stockOf(t, r, p.ID); s != 3 {
		t.Errorf("stock = %d, want 3: taken once by the checkout", s)
	}
	r.Clock.Advance(time.Hour)
	reconcile(r)
	if s := stockOf(t, r, p.ID); s != 3 {
		t.Errorf("stock = %d after the reconciler, want 3: a paid order keeps its goods", s)
	}
}

func TestExpiredOrderGivesStockBackOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 5)
	o, err := buy(context.Background(), r, "TEA", 2)
	must(t, err)
	if s := stockOf(t, r, p.ID); s != 3 {
		t.Fatalf("stock = %d after a checkout of 2, want 3", s)
	}
	r.Clock.Advance(16 * time.Minute)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { reconcile(r) })
		wg.Go(func() { r.Svc.Close(context.Background(), o.OutTradeNo, "admin") })
	}
	wg.Wait()
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusClosed || got.StockHeld {
		t.Errorf("order %s holding %v, want CLOSED holding nothing", got.Status, got.StockHeld)
	}
	if s := stockOf(t, r, p.ID); s != 5 {
		t.Errorf("stock = %d, want 5: given back once", s)
	}
	if n := stockEvents(t, r, o.OutTradeNo, "stock given back"); n != 1 {
		t.Errorf("%d give-backs recorded, want 1", n)
	}
}

func TestFailedUnifiedOrderGivesStockBack(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 1)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "unifiedorder", Count: 2}))
	if _, err := buy(context.Background(), r, "TEA", 1); checkout.KindOf(err) != checkout.KindUpstream {
		t.Fatalf("checkout with WeChat failing = %v, want an upstream error", err)
	}
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after a failed checkout, want 1", s)
	}
	if _, err := buy(context.Background(), r, "TEA", 1); err != nil {
		t.Errorf("the stock given back cannot be bought: %v", err)
	}
}

// latePayment reports a payment of o as a notification arriving after the
// order was closed locally would.
func latePayment(t *testing.T, r *testrig.Rig, o *models.Order, txn string) *models.Order {
	t.Helper()
	got, _, err := r.Svc.ConfirmPayment(context.Background(), checkout.Payment{OutTradeNo: o.OutTradeNo,
		Payment: models.Payment{TransactionID: txn, TotalFee: o.TotalFee, PaidAt: r.Clock.Now(), Source: "notify", Actor: "wechat"}})
	must(t, err)
	return got
}

func TestPaymentAfterCloseTakesStockAgain(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 3)
	o, err := buy(context.Background(), r, "TEA", 2)
	must(t, err)
	r.Clock.Advance(6 * time.Minute) // v2 closes an order five minutes after it was placed
	_, err = r.Svc.Close(context.Background(), o.OutTradeNo, "admin")
	must(t, err)
	if s := stockOf(t, r, p.ID); s != 3 {
		t.Fatalf("stock = %d after close, want 3", s)
	}
	got := latePayment(t, r, o, "4200000000000000000000000001")
	if got.Status != models.StatusPaid || !got.StockHeld || got.HasFlag(models.FlagOversold) {
		t.Errorf("late payment: %s held %v flags %q, want PAID holding, not oversold", got.Status, got.StockHeld, got.Flags)
	}
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after the late payment, want 1", s)
	}
	latePayment(t, r, o, "4200000000000000000000000001") // the duplicate
	if s := stockOf(t, r, p.ID); s != 1 {
		t.Errorf("stock = %d after a duplicate, want 1", s)
	}
}

func TestPaymentAfterCloseOfSoldOutProductIsOversold(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 2)
	o, err := buy(context.Background(), r, "TEA", 2)
	must(t, err)
	r.Clock.Advance(6 * time.Minute) // v2 closes an order five minutes after it was placed
	_, err = r.Svc.Close(context.Background(), o.OutTradeNo, "admin")
	must(t, err)
	other, err := buy(context.Background(), r, "TEA", 2) // takes what o gave back
	must(t, err)
	got := latePayment(t, r, o, "4200000000000000000000000002")
	if got.Status != models.StatusPaid || !got.HasFlag(models.FlagOversold) {
		t.Errorf("late payment: %s flags %q, want PAID flagged oversold", got.Status, got.Flags)
	}
	if s := stockOf(t, r, p.ID); s != 0 {
		t.Errorf("stock = %d, want 0, never negative", s)
	}
	if st := r.Order(t, other.OutTradeNo).Status; st != models.StatusNotPay {
		t.Errorf("the other checkout is %s, want untouched", st)
	}
}

func asError(err error, e **checkout.Error) bool { return errors.As(err, e) }

func TestDuplicateNotificationsTakeStockOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	p := stocked(t, r, "TEA", 3800, 6)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDuplicate, Copies: 15}))
	o, err := buy(context.Background(), r, "TEA", 2)
	must(t, err)
	must(t, r.Sim.Pay(o.CodeURL))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		answered := 0
		for _, d := range r.Sim.Deliveries() {
			if d.OutTradeNo == o.OutTradeNo && d.Accepted {
				answered++
			}
		}
		if answered >= 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 15 copies acknowledged", answered)
		}
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || paidTransitions(t, r, got) != 1 || !got.StockHeld {
		t.Errorf("order %s, paid %d times, holding %v; want PAID once, holding", got.Status, paidTransitions(t, r, got), got.StockHeld)
	}
	if s := stockOf(t, r, p.ID); s != 4 {
		t.Errorf("stock = %d after 15 copies of the notification, want 4", s)
	}
}
