package handlers_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

var (
	rowRe    = regexp.MustCompile(`<tr data-out-trade-no="([^"]+)"`)
	totalsRe = regexp.MustCompile(`id="totals" data-count="(\d+)" data-paid-count="(\d+)" data-paid-fen="(\d+)"`)
	barRe    = regexp.MustCompile(`data-day="([0-9-]+)" data-fen="(\d+)"`)
)

// seedAdmin is a rig with 120 orders over ~35 days up to the rig clock's
// now (2026-11-22 18:00 Beijing).
func seedAdmin(t *testing.T) (*testrig.Rig, []models.Order) {
	t.Helper()
	r := testrig.New(t, testrig.Options{})
	return r, testrig.SeedOrders(t, r.Store, 120, r.Clock.Now())
}

func TestAdminOrdersFiltersPagesAndTotals(t *testing.T) {
	r, seeded := seedAdmin(t)
	b := r.AdminBrowser(t)
	tests := []struct {
		query                   string
		rows                    int // on this page
		count, paidCount, paidF int64
		first                   string
	}{
		// 30 paid, all PENNY (1 fen) × qty 2, 3, 1, … → 60 fen (see store tests).
		{"", 50, 120, 30, 60, seeded[0].OutTradeNo},
		{"?page=2", 50, 120, 30, 60, seeded[50].OutTradeNo},
		{"?page=3", 20, 120, 30, 60, seeded[100].OutTradeNo},
		{"?status=PAID", 30, 30, 30, 60, seeded[1].OutTradeNo},
		{"?status=NOTPAY&q=COFFEE", 30, 30, 0, 0, seeded[0].OutTradeNo},
		{"?q=SEED0042", 1, 1, 0, 0, "SEED0042COFFEE"},
		{"?q=" + seeded[13].TransactionID, 1, 1, 1, 2, seeded[13].OutTradeNo},
		{"?q=%E4%B8%80%E5%88%86", 50, 60, 30, 60, seeded[1].OutTradeNo}, // 一分: the PENNY product's name
		// 2026-11-21 and 2026-11-22 in Beijing: created 18:00, 11:00, 04:00 on the 22nd;
		// 21:00, 14:00, 07:00, 00:00 on the 21st — seven orders, i = 0…6; paid: i = 1, 5.
		{"?from=2026-11-21&to=2026-11-22", 7, 7, 2, int64(seeded[1].TotalFee + seeded[5].TotalFee), seeded[0].OutTradeNo},
		{"?from=2026-11-22&to=2026-11-22&status=PAID", 1, 1, 1, int64(seeded[1].TotalFee), seeded[1].OutTradeNo},
		{"?q=nothing-like-this", 0, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := adminGet(t, r, b, "/admin/orders"+tt.query)
			if p.Status != 200 {
				t.Fatalf("status %d", p.Status)
			}
			rows := rowRe.FindAllStringSubmatch(p.Body, -1)
			m := totalsRe.FindStringSubmatch(p.Body)
			if m == nil {
				t.Fatal("no totals on the page")
			}
			got := [3]string{m[1], m[2], m[3]}
			want := [3]string{strconv.FormatInt(tt.count, 10), strconv.FormatInt(tt.paidCount, 10), strconv.FormatInt(tt.paidF, 10)}
			if len(rows) != tt.rows || got != want {
				t.Errorf("%d rows, totals %v; want %d rows, totals %v", len(rows), got, tt.rows, want)
			}
			if len(rows) > 0 && rows[0][1] != tt.first {
				t.Errorf("first row %s, want %s", rows[0][1], tt.first)
			}
		})
	}
	for _, bad := range []string{"?status=WHATEVER", "?from=2026-13-01", "?page=0", "?page=x", "?to=yesterday", "?from=2026-11-22&to=2026-11-21", "?fulfilment=lost"} {
		if p := adminGet(t, r, b, "/admin/orders"+bad); p.Status != 400 {
			t.Errorf("%s = %d, want 400", bad, p.Status)
		}
	}
}

func TestAdminOrdersPagerKeepsTheFilter(t *testing.T) {
	r, _ := seedAdmin(t)
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders?q=SEED&status=CLOSED")
	for _, want := range []string{`href="/admin/orders.csv?q=SEED&amp;status=CLOSED"`, `data-page="1" data-pages="1"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	p = adminGet(t, r, b, "/admin/orders?q=SEED")
	if !strings.Contains(p.Body, `id="next" href="/admin/orders?page=2&amp;q=SEED"`) {
		t.Errorf("next link does not keep the filter")
	}
}

func TestAdminChartShowsPaidPerBeijingDay(t *testing.T) {
	r, seeded := seedAdmin(t)
	// A payment at 23:30 Beijing on 2026-11-20 (15:30 UTC) and one at
	// 00:30 on the 21st (16:30 UTC): different days, though the same UTC day.
	for i, at := range []time.Time{time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC), time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)} {
		o := r.PlaceOrder(t, "COFFEE", i+1)
		if _, _, err := r.Svc.ConfirmPayment(context.Background(), paymentFor(o, at)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int64{}
	for _, o := range seeded {
		if o.Status == models.StatusPaid && o.PaidAt.After(time.Date(2026, 10, 23, 16, 0, 0, 0, time.UTC)) {
			want[o.PaidAt.In(beijing).Format(time.DateOnly)] += int64(o.TotalFee)
		}
	}
	want["2026-11-20"] += 5800
	want["2026-11-21"] += 11600
	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders")
	bars := barRe.FindAllStringSubmatch(p.Body, -1)
	if len(bars) != 30 || bars[0][1] != "2026-10-24" || bars[29][1] != "2026-11-22" {
		t.Fatalf("%d bars %v; want 30 from 2026-10-24 to 2026-11-22", len(bars), bars)
	}
	for _, bar := range bars {
		if fen, _ := strconv.ParseInt(bar[2], 10, 64); fen != want[bar[1]] {
			t.Errorf("bar %s = %d fen, want %d", bar[1], fen, want[bar[1]])
		}
	}
	if !strings.Contains(p.Body, "<svg") || strings.Count(p.Body, "<script") != strings.Count(p.Body, `<script src="/static/admin.js" defer></script>`) {
		t.Error("the chart is not server-drawn SVG")
	}
}

func TestAdminCSVExport(t *testing.T) {
	r, _ := seedAdmin(t)
	o := r.PlaceOrder(t, "COFFEE", 1)
	if _, _, err := r.Svc.ConfirmPayment(context.Background(), paymentFor(o, r.Clock.Now())); err != nil {
		t.Fatal(err)
	}
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders.csv?status=PAID&q=COFFEE")
	if p.Status != 200 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV = %d %v", p.Status, p.Header)
	}
	recs := readExportCSV(t, p.Body)
	header := strings.Join(recs[0], ",")
	if header != "商户订单号,下单时间（北京时间）,状态,状态代码,已过期,商品编号,商品,商品明细,数量,金额（元）,金额（分）,微信支付单号,支付时间（北京时间）,标记,已退款（元）,已退款（分）,收货人,手机号,收货地址,备注,发货状态,运单号" {
		t.Errorf("header = %s", header)
	}
	if len(recs) != 2 {
		t.Fatalf("%d rows, want the one paid COFFEE order: %v", len(recs)-1, recs)
	}
	row := recs[1]
	// Order and transaction numbers as ="…": Excel keeps them as text.
	want := []string{`="` + o.OutTradeNo + `"`, "2026-11-22 18:00:00", "已支付", "PAID", "", "COFFEE", "咖啡豆", "咖啡豆 ×1", "1", "58.00", "5800",
		`="` + paymentFor(o, time.Time{}).TransactionID + `"`, "2026-11-22 18:00:00", "", "0.00", "0", "", "", "", "", "待发货", ""}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("row = %q\nwant  %q", row, want)
	}
	all := adminGet(t, r, b, "/admin/orders.csv")
	if n := len(readExportCSV(t, all.Body)); n != 122 {
		t.Errorf("unfiltered export has %d records, want header + 121 (every order, not one page)", n)
	}
}

func TestAdminCSVGuardsAgainstFormulas(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	prod, err := r.Store.ProductBySKU(context.Background(), "COFFEE")
	if err != nil {
		t.Fatal(err)
	}
	now := r.Clock.Now()
	for i, cell := range []string{`=HYPERLINK("http://evil.example","x")`, "+1+1", "-2+3", "@SUM(A1)", "\t=1"} {
		o := models.Order{OutTradeNo: "EVIL000" + strconv.Itoa(i), Token: "eviltoken" + strconv.Itoa(i), ProductID: &prod.ID, SKU: "COFFEE",
			Body: cell, Quantity: 1, UnitPrice: 5800, TotalFee: 5800, Status: models.StatusNotPay, Prepay: models.PrepayDone,
			ExpiresAt: now, CreatedAt: now.Add(time.Duration(-i) * time.Second), Flags: cell}
		if err := r.Store.CreateOrder(context.Background(), &o, nil); err != nil {
			t.Fatal(err)
		}
	}
	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders.csv?q=EVIL")
	recs := readExportCSV(t, p.Body)
	if len(recs) != 6 {
		t.Fatalf("%d rows, want 5", len(recs)-1)
	}
	for _, rec := range recs[1:] {
		for _, col := range []int{6, 7, 13} { // product, items, flags
			if !strings.HasPrefix(rec[col], "'") || strings.ContainsAny(rec[col][:1], "=+-@\t") {
				t.Errorf("cell %q is not defused", rec[col])
			}
		}
	}
	if recs[1][6] != `'=HYPERLINK("http://evil.example","x")` {
		t.Errorf("product = %q, want the text kept behind an apostrophe", recs[1][4])
	}
	if recs[1][9] != "58.00" || recs[1][10] != "5800" || recs[1][4] != "是" {
		t.Errorf("amounts = %q %q, expired %q; want untouched, and the expired order said to be", recs[1][9], recs[1][10], recs[1][4])
	}
}
