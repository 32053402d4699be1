package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// EachOrder's keyset batches: every order once, newest first, ties on
// created_at broken by id across a batch boundary, a filter applied in every
// batch, the exported columns read back, and fn's error stopping it.
func TestEachOrderKeysetBatchesOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	store.SetExportBatch(t, 3)
	seeded := testrig.SeedOrders(t, st, 10, newest)
	tie := newest.Add(-20 * time.Hour).Add(123456 * time.Microsecond)
	for i := range 7 {
		o := seeded[0]
		o.ID, o.OutTradeNo, o.Token, o.CreatedAt = 0, fmt.Sprintf("TIE%02d", i), fmt.Sprintf("tietoken%02d", i), tie
		o.Detail, o.Flags, o.Fulfilment, o.TrackingNo = `{"goods_detail":[]}`, "oversold", models.FulfilShipped, "SF123"
		o.Buyer = models.Buyer{Name: "张三", Phone: "13800138000", Address: "杭州", Note: "n"}
		must(t, st.CreateOrder(ctx, &o, nil))
		seeded = append(seeded, o)
	}
	want := slices.Clone(seeded)
	slices.SortFunc(want, func(a, b models.Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID) - int(a.ID)
	})
	var got []models.Order
	must(t, st.EachOrder(ctx, models.OrderFilter{}, func(o *models.Order) error {
		got = append(got, *o)
		return nil
	}))
	if len(got) != len(want) {
		t.Fatalf("%d orders, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.OutTradeNo != w.OutTradeNo || !g.CreatedAt.Equal(w.CreatedAt) || g.Status != w.Status ||
			!g.ExpiresAt.Equal(w.ExpiresAt) || g.SKU != w.SKU || g.Body != w.Body || g.Detail != w.Detail ||
			g.Quantity != w.Quantity || g.TotalFee != w.TotalFee || g.TransactionID != w.TransactionID ||
			(g.PaidAt == nil) != (w.PaidAt == nil) || (g.PaidAt != nil && !g.PaidAt.Equal(*w.PaidAt)) ||
			g.Flags != w.Flags || g.RefundedFee != w.RefundedFee || g.Buyer != w.Buyer ||
			g.Fulfilment != w.Fulfilment || g.TrackingNo != w.TrackingNo {
			t.Errorf("#%d = %+v\nwant %+v", i, g, w)
		}
	}
	var paid []string
	must(t, st.EachOrder(ctx, models.OrderFilter{Status: models.StatusPaid}, func(o *models.Order) error {
		paid = append(paid, o.OutTradeNo)
		return nil
	}))
	if want := []string{"SEED0001PENNY", "SEED0005PENNY", "SEED0009PENNY"}; !slices.Equal(paid, want) {
		t.Errorf("PAID = %v, want %v", paid, want)
	}
	stop := errors.New("stop")
	n := 0
	err := st.EachOrder(ctx, models.OrderFilter{}, func(*models.Order) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("after fn's error: %v, %d calls; want stop after 5", err, n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.EachOrder(cancelled, models.OrderFilter{}, func(*models.Order) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
