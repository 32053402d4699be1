package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// newest is 2026-11-22 18:00 in Beijing.
var newest = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func bjDay(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, wxpay.Beijing())
	if err != nil {
		panic(err)
	}
	return t
}

// matches is the filter written out in Go, to check the SQL against.
func matches(o models.Order, f models.OrderFilter) bool {
	q := f.Query
	return (f.Status == "" || o.Status == f.Status) &&
		(f.From.IsZero() || !o.CreatedAt.Before(f.From)) &&
		(f.To.IsZero() || o.CreatedAt.Before(f.To)) &&
		(q == "" || o.OutTradeNo == q || o.TransactionID == q || o.SKU == q)
}

func TestOrderFiltersAndTotals(t *testing.T) {
	st := testrig.MustOpenStore(t)
	seeded := testrig.SeedOrders(t, st, 120, newest)
	tests := []struct {
		name string
		f    models.OrderFilter
	}{
		{"all", models.OrderFilter{}},
		{"paid", models.OrderFilter{Status: models.StatusPaid}},
		{"closed", models.OrderFilter{Status: models.StatusClosed}},
		{"one Beijing week", models.OrderFilter{From: bjDay("2026-11-10"), To: bjDay("2026-11-17")}},
		{"paid in a week", models.OrderFilter{Status: models.StatusPaid, From: bjDay("2026-11-10"), To: bjDay("2026-11-17")}},
		// Order 6 was created at exactly 2026-11-21 00:00 Beijing: in "from", not in "to".
		{"to is exclusive", models.OrderFilter{To: bjDay("2026-11-21")}},
		{"from is inclusive", models.OrderFilter{From: bjDay("2026-11-21")}},
		// Search is exact (docs/admin.md): a SKU, an order number, a
		// transaction id; not a part of one, nor a product name.
		{"sku", models.OrderFilter{Query: "PENNY"}},
		{"sku is exact", models.OrderFilter{Query: "penny"}},
		{"product name", models.OrderFilter{Query: "咖啡"}},
		{"out_trade_no", models.OrderFilter{Query: "SEED0042COFFEE"}},
		{"part of out_trade_no", models.OrderFilter{Query: "SEED0042"}},
		{"transaction_id", models.OrderFilter{Query: seeded[13].TransactionID}},
		{"part of transaction_id", models.OrderFilter{Query: seeded[13].TransactionID[4:]}},
		{"LIKE wildcards are literal", models.OrderFilter{Query: "%"}},
		{"nothing", models.OrderFilter{Query: "no such thing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want models.OrderTotals
			var wantNos []string
			for _, o := range seeded {
				if !matches(o, tt.f) {
					continue
				}
				want.Count++
				wantNos = append(wantNos, o.OutTradeNo)
				if o.Status == models.StatusPaid {
					want.PaidCount++
					want.PaidFee += o.TotalFee
				}
			}
			got, err := st.OrderTotals(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("totals = %+v, want %+v", got, want)
			}
			var gotNos []string
			err = st.EachOrder(context.Background(), tt.f, func(o *models.Order) error {
				gotNos = append(gotNos, o.OutTradeNo)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotNos, wantNos) {
				t.Errorf("EachOrder = %v\nwant (newest first) %v", gotNos, wantNos)
			}
		})
	}
}

func TestOrderTotalsExact(t *testing.T) {
	st := testrig.MustOpenStore(t)
	testrig.SeedOrders(t, st, 120, newest)
	// 30 paid orders (i = 1, 5, 9, …, 117); COFFEE (5800) when i is even,
	// which never happens for i ≡ 1 mod 4, so all are PENNY (1 fen) × qty:
	// qty = 1 + i%3 cycles 2, 3, 1 over i = 1, 5, 9 → 10 × (2+3+1) = 60 fen.
	got, err := st.OrderTotals(context.Background(), models.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.OrderTotals{Count: 120, PaidCount: 30, PaidFee: 60}); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	got, err = st.OrderTotals(context.Background(), models.OrderFilter{Query: "COFFEE"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.OrderTotals{Count: 60}); got != want {
		t.Errorf("COFFEE totals = %+v, want %+v", got, want)
	}
}

func TestSearchOrdersPages(t *testing.T) {
	st := testrig.MustOpenStore(t)
	seeded := testrig.SeedOrders(t, st, 120, newest)
	var all []string
	for offset := 0; ; offset += 50 {
		page, err := st.SearchOrders(context.Background(), models.OrderFilter{}, offset, 50)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(50, max(0, 120-offset)); len(page) != want {
			t.Fatalf("page at %d has %d orders, want %d", offset, len(page), want)
		}
		if len(page) == 0 {
			break
		}
		for _, o := range page {
			all = append(all, o.OutTradeNo)
		}
	}
	for i, no := range all {
		if no != seeded[i].OutTradeNo { // seeded newest first
			t.Fatalf("order %d = %s, want %s (newest first, no gaps or repeats)", i, no, seeded[i].OutTradeNo)
		}
	}
}

// Keyset pages: older from the last order of a page, newer from the
// first, whatever the filter; no gaps, no repeats.
func TestSearchOrdersKeysetPages(t *testing.T) {
	st := testrig.MustOpenStore(t)
	seeded := testrig.SeedOrders(t, st, 120, newest)
	ctx := context.Background()
	for _, f := range []models.OrderFilter{{}, {Status: models.StatusPaid}, {Query: "COFFEE"}} {
		var want []string
		for _, o := range seeded {
			if matches(o, f) {
				want = append(want, o.OutTradeNo)
			}
		}
		var got []string
		var pages [][]models.Order
		for pf := f; ; {
			page, err := st.SearchOrders(ctx, pf, 0, 25)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			pages = append(pages, page)
			for _, o := range page {
				got = append(got, o.OutTradeNo)
			}
			last := page[len(page)-1]
			pf.Older = &models.OrderKey{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: older pages = %v\nwant %v", f, got, want)
		}
		if len(pages) < 2 {
			t.Fatalf("%+v: %d pages", f, len(pages))
		}
		// Newer than the second page's first order: the first page again.
		nf := f
		nf.Newer = &models.OrderKey{CreatedAt: pages[1][0].CreatedAt, ID: pages[1][0].ID}
		back, err := st.SearchOrders(ctx, nf, 0, 25)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(pages[0]) || back[0].OutTradeNo != pages[0][0].OutTradeNo || back[len(back)-1].OutTradeNo != pages[0][len(pages[0])-1].OutTradeNo {
			t.Errorf("%+v: newer page = %d orders from %s, want the first page", f, len(back), back[0].OutTradeNo)
		}
	}
}

func TestPaidPerDayByBeijingDay(t *testing.T) {
	st := testrig.MustOpenStore(t)
	seeded := testrig.SeedOrders(t, st, 120, newest)
	from, to := bjDay("2026-10-24"), bjDay("2026-11-23")
	want := map[string]models.DayTotal{}
	crossing := 0 // payments whose Beijing day is not their UTC day
	for _, o := range seeded {
		if o.Status != models.StatusPaid || o.PaidAt.Before(from) || !o.PaidAt.Before(to) {
			continue
		}
		day := o.PaidAt.In(wxpay.Beijing()).Format(time.DateOnly)
		if day != o.PaidAt.UTC().Format(time.DateOnly) {
			crossing++
		}
		d := want[day]
		d.Day, d.Count, d.PaidFee = day, d.Count+1, d.PaidFee+o.TotalFee
		want[day] = d
	}
	if crossing == 0 {
		t.Fatal("the seed has no payment between 16:00 and 24:00 UTC; the test would not notice UTC days")
	}
	got, err := st.PaidPerDay(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) < 10 {
		t.Fatalf("got %d days, want %d (at least 10): %+v", len(got), len(want), got)
	}
	for _, d := range got {
		if d != want[d.Day] {
			t.Errorf("day %s = %+v, want %+v", d.Day, d, want[d.Day])
		}
	}
}
