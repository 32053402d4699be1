package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"wxcheckout/models"
	"wxcheckout/store"
)

// Concurrent writes share transactions (group commit); a write that fails —
// here a duplicate out_trade_no — must roll back only its own work, and
// every other write must be committed.
func TestConcurrentWritesFailAlone(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	must(t, s.SeedProducts(ctx, []models.Product{{SKU: "A", Name: "甲", Price: 100, Active: true}}))
	p, _ := s.ProductBySKU(ctx, "A")
	order := func(no string) *models.Order {
		return &models.Order{OutTradeNo: no, Token: "t" + no, ProductID: &p.ID, SKU: "A", Body: "甲", Quantity: 1,
			UnitPrice: 100, TotalFee: 100, Status: models.StatusNotPay, Prepay: models.PrepayDone}
	}
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := fmt.Sprintf("2026112200000000%012d", i)
			if i%10 == 9 {
				no = fmt.Sprintf("2026112200000000%012d", i-1) // collides with its neighbour
			}
			errs[i] = s.CreateOrder(ctx, order(no), &models.OrderEvent{Kind: models.EventCreated, Summary: fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if i%10 != 9 && i%10 != 8 {
				t.Errorf("write %d failed: %v", i, err)
			}
		}
	}
	if failed != n/10 {
		t.Errorf("%d writes failed, want the %d duplicates", failed, n/10)
	}
	for i := range n {
		if i%10 == 9 || i%10 == 8 {
			continue
		}
		o, err := s.OrderByOutTradeNo(ctx, fmt.Sprintf("2026112200000000%012d", i))
		if err != nil {
			t.Fatalf("order %d lost: %v", i, err)
		}
		if evs, _ := s.Events(ctx, o.ID); len(evs) != 1 || evs[0].Summary != fmt.Sprint(i) {
			t.Errorf("order %d has events %+v, want its own one", i, evs)
		}
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	err = s.AddEvent(context.Background(), nil, &models.OrderEvent{Kind: models.EventNotify, Summary: "late"})
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after Close = %v, want ErrClosed", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
