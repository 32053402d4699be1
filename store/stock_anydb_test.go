package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

func stockedProduct(t *testing.T, st *store.Store, sku string, stock int) *models.Product {
	t.Helper()
	p := &models.Product{SKU: sku, Name: "库存 " + sku, Price: 500, Active: true, Stock: &stock}
	must(t, st.CreateProduct(context.Background(), p))
	return p
}

func stockNow(t *testing.T, st *store.Store, id uint) int {
	t.Helper()
	p, err := st.ProductByID(context.Background(), id)
	if err != nil || p.Stock == nil {
		t.Fatalf("product %d: %v", id, err)
	}
	return *p.Stock
}

func cartOrder(no string, qty int, ps ...*models.Product) *models.Order {
	o := &models.Order{OutTradeNo: no, Token: "tok-" + no, SKU: ps[0].SKU, Body: ps[0].Name, Status: models.StatusNotPay,
		Prepay: models.PrepayDone, ClientIP: "10.0.0.9", ClientKey: "10.0.0.9", TimeStart: anyDBNow,
		ExpiresAt: anyDBNow.Add(15 * time.Minute), NextQueryAt: anyDBNow.Add(time.Minute)}
	for _, p := range ps {
		id := p.ID
		o.Items = append(o.Items, models.OrderItem{ProductID: &id, SKU: p.SKU, Name: p.Name, UnitPrice: p.Price, Quantity: qty})
		o.TotalFee += p.Price * models.Money(qty)
		o.Quantity += qty
	}
	return o
}

func created(no string) *models.OrderEvent {
	return &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper", Summary: "created " + no}
}

func TestStockOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	a, b := stockedProduct(t, st, "STOCK-A", 7), stockedProduct(t, st, "STOCK-B", 100)
	var made, soldOut atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			err := st.CreateOrder(ctx, cartOrder(fmt.Sprintf("STOCK-%04d", i), 1, b, a), created("x"))
			var so *store.SoldOutError
			switch {
			case err == nil:
				made.Add(1)
			case errors.As(err, &so) && errors.Is(err, store.ErrSoldOut) && so.SKU == "STOCK-A":
				soldOut.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if made.Load() != 7 || soldOut.Load() != 43 {
		t.Fatalf("%d created, %d sold out; want 7, 43", made.Load(), soldOut.Load())
	}
	if sa, sb := stockNow(t, st, a.ID), stockNow(t, st, b.ID); sa != 0 || sb != 93 {
		t.Errorf("stock %d, %d; want 0 and 93 (all or nothing per order)", sa, sb)
	}
	var nos []string
	for i := range 50 {
		if o, err := st.OrderByOutTradeNo(ctx, fmt.Sprintf("STOCK-%04d", i)); err == nil {
			if !o.StockHeld {
				t.Errorf("%s does not hold its stock", o.OutTradeNo)
			}
			nos = append(nos, o.OutTradeNo)
		}
	}
	closing := func(cur models.Order) models.Change {
		return cur.Close(models.Closing{Reason: "expired", Actor: "reconciler", At: anyDBNow})
	}
	for _, no := range nos { // every order closed by four racing closers
		for range 4 {
			wg.Go(func() {
				if _, _, err := st.UpdateOrder(ctx, no, closing); err != nil {
					t.Errorf("close %s: %v", no, err)
				}
			})
		}
	}
	wg.Wait()
	if sa, sb := stockNow(t, st, a.ID), stockNow(t, st, b.ID); sa != 7 || sb != 100 {
		t.Errorf("stock after closing %d, %d; want 7 and 100: each given back once", sa, sb)
	}
}

func TestLatePaymentAndRenewalOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	p := stockedProduct(t, st, "LATE", 2)
	o := cartOrder("LATE-0001", 2, p)
	must(t, st.CreateOrder(ctx, o, created(o.OutTradeNo)))
	_, _, err := st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
		return cur.Close(models.Closing{Reason: "expired", Actor: "reconciler", At: anyDBNow})
	})
	must(t, err)
	other := cartOrder("LATE-0002", 2, p)
	must(t, st.CreateOrder(ctx, other, created(other.OutTradeNo)))
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, _, err := st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
				ch, _ := cur.Pay(payment(o, "4200000009"))
				return ch
			})
			must(t, err)
		})
	}
	wg.Wait()
	got, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
	must(t, err)
	if got.Status != models.StatusPaid || !got.HasFlag(models.FlagOversold) || stockNow(t, st, p.ID) != 0 {
		t.Errorf("late payment: %s flags %q stock %d; want PAID, oversold, stock 0", got.Status, got.Flags, stockNow(t, st, p.ID))
	}

	// The other order, expired but open, is renewed: its hold passes on.
	next := cartOrder("LATE-0003", 2, p)
	_, made, err := st.CreateSuccessor(ctx, other.OutTradeNo, next, created(next.OutTradeNo),
		func(cur models.Order) models.Change { return cur.Renewed(next.OutTradeNo, "shopper") })
	must(t, err)
	if !made || !next.StockHeld || stockNow(t, st, p.ID) != 0 {
		t.Fatalf("renewal created %v holding %v, stock %d; want the hold passed on, stock 0", made, next.StockHeld, stockNow(t, st, p.ID))
	}
	for _, no := range []string{other.OutTradeNo, next.OutTradeNo} {
		_, _, err := st.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
			return cur.Close(models.Closing{Reason: "expired", Actor: "reconciler", At: anyDBNow})
		})
		must(t, err)
	}
	if s := stockNow(t, st, p.ID); s != 2 {
		t.Errorf("stock after closing both = %d, want 2: given back once, by the successor", s)
	}
}
