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

// lastDays is the totals' window of a filter without a start date: the 30
// Beijing days up to the rig's today, 2026-11-22.
func lastDays(o models.Order) bool {
	return !o.CreatedAt.Before(time.Date(2026, 10, 24, 0, 0, 0, 0, beijing)) && o.CreatedAt.Before(time.Date(2026, 11, 23, 0, 0, 0, 0, beijing))
}

// totalsOf is what the totals line shows for the seeded orders that pass in.
func totalsOf(seeded []models.Order, in func(models.Order) bool) (n, paid, fen int64) {
	for _, o := range seeded {
		if in(o) {
			n++
			if o.Status == models.StatusPaid {
				paid, fen = paid+1, fen+int64(o.TotalFee)
			}
		}
	}
	return n, paid, fen
}

func cursorOf(o models.Order) string {
	return strconv.FormatInt(o.CreatedAt.UnixNano(), 10) + "-" + strconv.FormatUint(uint64(o.ID), 10)
}

func TestAdminOrdersFiltersPagesAndTotals(t *testing.T) {
	r, seeded := seedAdmin(t)
	b := r.AdminBrowser(t)
	tests := []struct {
		query                   string
		rows                    int // on this page
		count, paidCount, paidF int64
		first                   string
		// in selects the orders the totals count, when the query has no
		// start date: those of the last 30 days (count etc. unused).
		in func(models.Order) bool
	}{
		{"", 50, 0, 0, 0, seeded[0].OutTradeNo, func(models.Order) bool { return true }},
		{"?older=" + cursorOf(seeded[49]), 50, 0, 0, 0, seeded[50].OutTradeNo, func(models.Order) bool { return true }},
		{"?older=" + cursorOf(seeded[99]), 20, 0, 0, 0, seeded[100].OutTradeNo, func(models.Order) bool { return true }},
		{"?newer=" + cursorOf(seeded[100]), 50, 0, 0, 0, seeded[50].OutTradeNo, func(models.Order) bool { return true }},
		{"?status=PAID", 30, 0, 0, 0, seeded[1].OutTradeNo, func(o models.Order) bool { return o.Status == models.StatusPaid }},
		// Search is exact: a SKU …
		{"?status=NOTPAY&q=COFFEE", 30, 0, 0, 0, seeded[0].OutTradeNo, func(o models.Order) bool { return o.Status == models.StatusNotPay && o.SKU == "COFFEE" }},
		{"?q=PENNY", 50, 0, 0, 0, seeded[1].OutTradeNo, func(o models.Order) bool { return o.SKU == "PENNY" }},
		// … or a whole order or transaction number.
		{"?q=SEED0042COFFEE", 1, 0, 0, 0, "SEED0042COFFEE", func(o models.Order) bool { return o.OutTradeNo == "SEED0042COFFEE" }},
		{"?q=" + seeded[13].TransactionID, 1, 0, 0, 0, seeded[13].OutTradeNo, func(o models.Order) bool { return o.TransactionID == seeded[13].TransactionID }},
		{"?q=SEED0042", 0, 0, 0, 0, "", func(models.Order) bool { return false }},
		{"?q=%E4%B8%80%E5%88%86", 0, 0, 0, 0, "", func(models.Order) bool { return false }}, // 一分: product names are not searched
		// 2026-11-21 and 2026-11-22 in Beijing: created 18:00, 11:00, 04:00 on the 22nd;
		// 21:00, 14:00, 07:00, 00:00 on the 21st — seven orders, i = 0…6; paid: i = 1, 5.
		{"?from=2026-11-21&to=2026-11-22", 7, 7, 2, int64(seeded[1].TotalFee + seeded[5].TotalFee), seeded[0].OutTradeNo, nil},
		{"?from=2026-11-22&to=2026-11-22&status=PAID", 1, 1, 1, int64(seeded[1].TotalFee), seeded[1].OutTradeNo, nil},
		{"?q=nothing-like-this", 0, 0, 0, 0, "", func(models.Order) bool { return false }},
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
			// A filter the daily aggregates answer (no search) has totals
			// over all its orders; a search, over the last 30 days.
			if search := strings.Contains(tt.query, "q="); tt.in != nil && search {
				tt.count, tt.paidCount, tt.paidF = totalsOf(seeded, func(o models.Order) bool { return lastDays(o) && tt.in(o) })
				if !strings.Contains(p.Body, `data-from="2026-10-24" data-to="2026-11-22"`) {
					t.Error("the totals do not say they cover the last 30 days")
				}
			} else if tt.in != nil {
				tt.count, tt.paidCount, tt.paidF = totalsOf(seeded, tt.in)
				if strings.Contains(p.Body, `data-from=`) || !strings.Contains(p.Body, `id="totals-window"`) {
					t.Error("the totals of all orders show a window, or no label")
				}
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
	for _, bad := range []string{"?status=WHATEVER", "?from=2026-13-01", "?older=0-1", "?older=x", "?newer=1-", "?older=1-1&newer=1-1", "?to=yesterday", "?from=2026-11-22&to=2026-11-21", "?fulfilment=lost"} {
		if p := adminGet(t, r, b, "/admin/orders"+bad); p.Status != 400 {
			t.Errorf("%s = %d, want 400", bad, p.Status)
		}
	}
}

var pagerRe = regexp.MustCompile(`id="(newer|older)" href="([^"]+)"`)

// pager is the page's Newer and Older links, unescaped.
func pager(body string) map[string]string {
	links := map[string]string{}
	for _, m := range pagerRe.FindAllStringSubmatch(body, -1) {
		links[m[1]] = strings.ReplaceAll(m[2], "&amp;", "&")
	}
	return links
}

func TestAdminOrdersPagerKeepsTheFilter(t *testing.T) {
	r, seeded := seedAdmin(t)
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders?q=SEED&status=CLOSED")
	if !strings.Contains(p.Body, `href="/admin/orders.csv?q=SEED&amp;status=CLOSED"`) {
		t.Errorf("page lacks the CSV link with the filter")
	}
	if links := pager(p.Body); len(links) != 0 {
		t.Errorf("a single page has page links %v", links)
	}
	// 60 PENNY orders: a page of 50, then 10 older; Newer comes back.
	p = adminGet(t, r, b, "/admin/orders?q=PENNY")
	links := pager(p.Body)
	if want := "/admin/orders?older=" + cursorOf(seeded[99]) + "&q=PENNY"; links["older"] != want || links["newer"] != "" {
		t.Fatalf("first page links %v, want older %s only", links, want)
	}
	p = adminGet(t, r, b, links["older"])
	rows, links := rowRe.FindAllStringSubmatch(p.Body, -1), pager(p.Body)
	if len(rows) != 10 || rows[0][1] != seeded[101].OutTradeNo || links["older"] != "" || links["newer"] == "" {
		t.Fatalf("older page: %d rows from %v, links %v", len(rows), rows[0], links)
	}
	p = adminGet(t, r, b, links["newer"])
	rows, links = rowRe.FindAllStringSubmatch(p.Body, -1), pager(p.Body)
	if len(rows) != 50 || rows[0][1] != seeded[1].OutTradeNo || links["newer"] != "" || links["older"] == "" {
		t.Errorf("back to the newer page: %d rows from %v, links %v", len(rows), rows[0], links)
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
	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders.csv")
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
