package handlers_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// buyerOrder is a paid two-line order with the buyer's details.
func buyerOrder(t *testing.T, r *testrig.Rig, note string) *models.Order {
	t.Helper()
	ctx := context.Background()
	if err := r.Svc.SaveShopSettings(ctx, models.ShopSettings{ShopName: "茶铺",
		Ask: models.BuyerFields{Name: true, Phone: true, Address: true, Note: true}}); err != nil {
		t.Fatal(err)
	}
	o, err := r.Svc.PlaceOrder(ctx, checkout.PlaceRequest{ClientIP: "127.0.0.1",
		Lines: []checkout.Line{{SKU: "COFFEE", Quantity: 2}, {SKU: "PENNY", Quantity: 1}},
		Buyer: models.Buyer{Name: "张三", Phone: "13800138000", Address: "浙江省杭州市西湖区龙井路 1 号", Note: note}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Svc.ConfirmPayment(ctx, paymentFor(o, r.Clock.Now())); err != nil {
		t.Fatal(err)
	}
	return r.Order(t, o.OutTradeNo)
}

var badgeRe = regexp.MustCompile(`<span class="badge badge-(\w+)" data-status="(\w+)"( data-expired="1")?>([^<]+)</span>`)

func TestAdminStatusLabelsAndExpired(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	pending := r.PlaceOrder(t, "COFFEE", 1)
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders/"+pending.OutTradeNo)
	if m := badgeRe.FindStringSubmatch(p.Body); m == nil || m[2] != "NOTPAY" || m[3] != "" || m[4] != "待支付" {
		t.Fatalf("badge %v, want 待支付 NOTPAY", m)
	}
	r.Clock.Advance(3 * time.Hour) // past the expiry; nothing closed it yet
	b = r.AdminBrowser(t)          // a fresh session: the first one timed out
	for _, tt := range []struct{ lang, label, fulfil string }{{"zh", "已过期", "—"}, {"en", "Expired", "—"}} {
		for _, path := range []string{"/admin/orders?lang=" + tt.lang, "/admin/orders/" + pending.OutTradeNo + "?lang=" + tt.lang} {
			p := adminGet(t, r, b, path)
			m := badgeRe.FindStringSubmatch(p.Body)
			if m == nil || m[1] != "EXPIRED" || m[2] != "NOTPAY" || m[3] == "" || m[4] != tt.label {
				t.Errorf("%s: badge %v, want %s with data-status NOTPAY and data-expired", path, m, tt.label)
			}
		}
	}
	paid := buyerOrder(t, r, "")
	for lang, want := range map[string][]string{"zh": {">已支付</span>", ">待发货</span>", "发货"}, "en": {">Paid</span>", ">To ship</span>", "Fulfilment"}} {
		p := adminGet(t, r, b, "/admin/orders?lang="+lang)
		for _, w := range want {
			if !strings.Contains(p.Body, w) {
				t.Errorf("%s list lacks %s", lang, w)
			}
		}
	}
	csvPage := adminGet(t, r, b, "/admin/orders.csv?lang=zh")
	recs := readExportCSV(t, csvPage.Body)
	if len(recs) != 3 {
		t.Fatalf("CSV: %d records", len(recs))
	}
	for _, rec := range recs[1:] {
		switch rec[0] {
		case `="` + pending.OutTradeNo + `"`:
			if rec[2] != "已过期" || rec[3] != "NOTPAY" || rec[4] != "是" {
				t.Errorf("expired order in the CSV: %q", rec[:5])
			}
		case `="` + paid.OutTradeNo + `"`:
			if rec[2] != "已支付" || rec[4] != "" || rec[20] != "待发货" {
				t.Errorf("paid order in the CSV: %q", rec)
			}
		default:
			t.Errorf("unexpected row %q", rec)
		}
	}
}

func TestAdminConfirmationsOnCloseAndRefund(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	open := r.PlaceOrder(t, "COFFEE", 1)
	p := adminGet(t, r, b, "/admin/orders/"+open.OutTradeNo)
	want := `id="close-form" data-confirm="确定关闭订单 ` + open.OutTradeNo + `（¥58.00）吗？关闭后买家无法再支付。"`
	if !strings.Contains(html.UnescapeString(p.Body), want) {
		t.Errorf("the close form lacks %s", want)
	}
	paid := buyerOrder(t, r, "")
	p = adminGet(t, r, b, "/admin/orders/"+paid.OutTradeNo+"?lang=en")
	body := html.UnescapeString(p.Body)
	for _, w := range []string{`id="refund-form" class="filters" data-confirm="Refund ¥116.01 of order ` + paid.OutTradeNo,
		`data-confirm-template="Refund ¥{amount} of order ` + paid.OutTradeNo} {
		if !strings.Contains(body, w) {
			t.Errorf("the refund form lacks %s", w)
		}
	}
	if strings.Contains(p.Body, "onsubmit") || strings.Contains(p.Body, "onclick") {
		t.Error("inline script on the page")
	}
}

func TestAdminOrderPageLinesBuyerAndTimelineFields(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := buyerOrder(t, r, "请<b>轻放</b>")
	// A refused notification stored as it came: hostile XML.
	hostile := `<!DOCTYPE x [<!ENTITY e "boom">]><xml><out_trade_no>&e;</out_trade_no><script>alert(1)</script></xml>`
	if err := r.Store.AddEvent(context.Background(), o, &models.OrderEvent{Kind: models.EventNotify, Actor: "wechat", Request: hostile}); err != nil {
		t.Fatal(err)
	}
	b := r.AdminBrowser(t)
	p := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo)
	for _, w := range []string{
		`<tr class="item" data-sku="COFFEE" data-quantity="2">`, `<tr class="item" data-sku="PENNY" data-quantity="1">`, "¥116.00", "¥0.01",
		`<dd id="buyer-name">张三</dd>`, `id="buyer-phone"><a href="tel:13800138000">13800138000</a>`, `<dd id="buyer-address">浙江省杭州市西湖区龙井路 1 号</dd>`,
		`<dd id="buyer-note">请&lt;b&gt;轻放&lt;/b&gt;</dd>`,
		`id="fulfilment-form"`, `<option value="to_ship" selected>待发货</option>`, `name="tracking_no" id="tracking-no"`,
		// The unified order's XML as named fields.
		`data-field="out_trade_no"><th scope="row"><code>out_trade_no</code></th><td class="field-label">商户订单号</td><td class="field-value">` + o.OutTradeNo,
		`<td class="field-label">订单金额(分)</td><td class="field-value">11601</td>`,
		`&lt;!DOCTYPE x [&lt;!ENTITY e &#34;boom&#34;&gt;]&gt;`, "&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(p.Body, w) {
			t.Errorf("order page lacks %s", w)
		}
	}
	if strings.Contains(p.Body, "<script>alert") || strings.Contains(p.Body, "<b>轻放") || strings.Contains(p.Body, ">boom<") {
		t.Error("hostile text reached the page unescaped or expanded")
	}
	en := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo+"?lang=en")
	if !strings.Contains(en.Body, `<td class="field-label">Merchant order no.</td>`) || !strings.Contains(en.Body, `<option value="to_ship" selected>To ship</option>`) {
		t.Error("the English order page lacks the English field labels")
	}
}

func TestAdminChartHasAxesAndLabels(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	buyerOrder(t, r, "") // ¥116.01 today: ticks ¥0, ¥50, ¥100, ¥150
	for lang, want := range map[string][]string{
		"zh": {`<title id="chart-title">2026-10-24 至 2026-11-22 每日已支付金额（扣除退款），合计 ¥116.01，单日最高 ¥116.01</title>`, ">日期（北京时间）</text>", ">已支付金额</text>"},
		"en": {">Day, Beijing time</text>", ">Paid</text>", "Paid per day (net of refunds), 2026-10-24 to 2026-11-22"},
	} {
		p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders?lang="+lang)
		for _, w := range append(want, `role="img"`, `aria-labelledby="chart-title"`, `transform="rotate(-90)"`) {
			if !strings.Contains(p.Body, w) {
				t.Errorf("%s chart lacks %s", lang, w)
			}
		}
		ticks := regexp.MustCompile(`<text class="tick"[^>]*data-fen="(\d+)">([^<]+)</text>`).FindAllStringSubmatch(p.Body, -1)
		var got []string
		for _, m := range ticks {
			got = append(got, m[1]+"="+m[2])
		}
		if strings.Join(got, " ") != "0=¥0 5000=¥50 10000=¥100 15000=¥150" {
			t.Errorf("ticks %v", got)
		}
		days := regexp.MustCompile(`<text class="day"[^>]*>([0-9-]+)</text>`).FindAllStringSubmatch(p.Body, -1)
		if len(days) != 6 || days[0][1] != "10-28" || days[5][1] != "11-22" {
			t.Errorf("day labels %v, want every 5th day ending today", days)
		}
		if strings.Contains(p.Body, "style=") {
			t.Error("an inline style on the page")
		}
	}
}

func TestAdminFiltersExplainBadDates(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	for _, tt := range []struct{ query, field, zh, en string }{
		{"from=2026-11-31&to=2026-12-01", "from", "日期格式应为 2026-11-30", "Use YYYY-MM-DD"},
		{"from=2026-11-01&to=11%2F30%2F2026", "to", "日期格式应为 2026-11-30", "Use YYYY-MM-DD"},
		{"from=2026-11-22&to=2026-11-01", "from", "开始日期晚于结束日期", "From is after To"},
	} {
		p := adminGet(t, r, b, "/admin/orders?lang=zh&"+tt.query)
		q, _ := url.ParseQuery(tt.query)
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `<span class="field-error" id="`+tt.field+`-error">`+tt.zh) ||
			!strings.Contains(p.Body, `id="filter-from" value="`+html.EscapeString(q.Get("from"))+`"`) ||
			!strings.Contains(p.Body, `id="filter-to" value="`+strings.ReplaceAll(q.Get("to"), "/", "/")+`"`) {
			t.Errorf("%s: %d, want 400 with %q next to %s and the typed values kept", tt.query, p.Status, tt.zh, tt.field)
		}
		p = adminGet(t, r, b, "/admin/orders.csv?lang=en&"+tt.query)
		if p.Status != http.StatusBadRequest || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") || !strings.Contains(p.Body, tt.field+": "+tt.en) {
			t.Errorf("CSV %s: %d %q, want 400 with %q", tt.query, p.Status, p.Body, tt.en)
		}
	}
	if p := adminGet(t, r, b, "/admin/orders?from=2026-11-01&to=2026-11-30"); p.Status != 200 {
		t.Errorf("a good range = %d", p.Status)
	}
}

func TestAdminCSVLanguageTextNumbersAndInjection(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := buyerOrder(t, r, `=HYPERLINK("http://evil.example","x")`)
	b := r.AdminBrowser(t)
	for lang, first := range map[string]string{"zh": "商户订单号", "en": "Order no."} {
		req, _ := http.NewRequest("GET", r.App.URL+"/admin/orders.csv", nil)
		req.Header.Set("Accept-Language", map[string]string{"zh": "zh-CN,zh;q=0.9", "en": "en-GB,en;q=0.9"}[lang])
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := testrig.ReadAll(t, resp)
		if !strings.HasPrefix(body, "\uFEFF"+first+",") {
			t.Fatalf("%s CSV starts %q, want the BOM and %s", lang, body[:min(40, len(body))], first)
		}
		recs := readExportCSV(t, body)
		if len(recs) != 2 {
			t.Fatalf("%d records", len(recs))
		}
		rec := recs[1]
		if rec[0] != `="`+o.OutTradeNo+`"` || rec[11] != `="`+o.TransactionID+`"` || rec[17] != `="13800138000"` {
			t.Errorf("numbers not kept as text: %q %q %q", rec[0], rec[11], rec[17])
		}
		if rec[16] != "张三" || rec[18] != "浙江省杭州市西湖区龙井路 1 号" || rec[19] != `'=HYPERLINK("http://evil.example","x")` {
			t.Errorf("buyer cells %q", rec[16:20])
		}
		if rec[7] != "咖啡豆 ×2; 一分钱商品 ×1" {
			t.Errorf("items %q", rec[7])
		}
	}
}

func TestAdminFulfilment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	unpaid := r.PlaceOrder(t, "COFFEE", 1) // before the shop asks for details
	o := buyerOrder(t, r, "")
	b := r.AdminBrowser(t)
	tok := adminToken(t, r, b)
	path := "/admin/orders/" + o.OutTradeNo + "/fulfilment"

	p := adminPost(t, r, b, path, url.Values{"fulfilment": {"shipped"}, "tracking_no": {"SF1234567890"}})
	if p.Status != http.StatusForbidden || r.Order(t, o.OutTradeNo).Fulfilment != models.FulfilToShip {
		t.Fatalf("without CSRF: %d, want 403 and nothing changed", p.Status)
	}
	p = adminPost(t, r, b, path, url.Values{"csrf_token": {tok}, "fulfilment": {"shipped"}, "tracking_no": {""}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="tracking-no-error"`) ||
		!strings.Contains(p.Body, `<option value="shipped" selected>`) || r.Order(t, o.OutTradeNo).Fulfilment != models.FulfilToShip {
		t.Fatalf("shipped without tracking: %d, want 400 with the error next to the field", p.Status)
	}
	p = adminPost(t, r, b, path, url.Values{"csrf_token": {tok}, "fulfilment": {"lost"}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="fulfilment-error"`) {
		t.Fatalf("bad fulfilment: %d", p.Status)
	}
	p = adminPost(t, r, b, path, url.Values{"csrf_token": {tok}, "fulfilment": {"shipped"}, "tracking_no": {"SF1234567890"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/orders/"+o.OutTradeNo {
		t.Fatalf("shipped: %d to %q, want 303 back", p.Status, p.Header.Get("Location"))
	}
	if got := r.Order(t, o.OutTradeNo); got.Fulfilment != models.FulfilShipped || got.TrackingNo != "SF1234567890" || got.ShippedAt == nil {
		t.Fatalf("after shipping: %s %q %v", got.Fulfilment, got.TrackingNo, got.ShippedAt)
	}
	page := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo)
	if f := adminFlash(t, page); f != "ok: 发货状态已更新为「已发货」" || !strings.Contains(page.Body, `<code id="tracking-no-now">SF1234567890</code>`) {
		t.Errorf("flash %q", f)
	}
	if evs := adminEvents(t, r, o.OutTradeNo); len(evs) == 0 || !strings.Contains(evs[len(evs)-1].Summary, "shipped") {
		t.Errorf("no admin event for the shipment: %v", evs)
	}
	// The list's filter: what is left to ship.
	other := buyerOrder(t, r, "")
	list := adminGet(t, r, b, "/admin/orders?fulfilment=to_ship")
	if rows := rowRe.FindAllStringSubmatch(list.Body, -1); len(rows) != 1 || rows[0][1] != other.OutTradeNo {
		t.Errorf("to_ship filter rows %v, want only %s", rows, other.OutTradeNo)
	}

	p = adminPost(t, r, b, "/admin/orders/"+unpaid.OutTradeNo+"/fulfilment", url.Values{"csrf_token": {tok}, "fulfilment": {"shipped"}, "tracking_no": {"SF1234567890"}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="fulfilment-refused"`) || !strings.Contains(p.Body, "订单未支付，不能发货") ||
		r.Order(t, unpaid.OutTradeNo).Fulfilment != models.FulfilNone {
		t.Errorf("unpaid order: %d, want 400 with the refusal and nothing changed", p.Status)
	}
	if p := adminPost(t, r, b, "/admin/orders/NOSUCHORDER/fulfilment", url.Values{"csrf_token": {tok}, "fulfilment": {"done"}}); p.Status != http.StatusNotFound {
		t.Errorf("no such order: %d", p.Status)
	}
}

func TestAdminPhoneLayoutAndScript(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	css := adminGet(t, r, b, "/static/admin.css").Body
	for _, w := range []string{"@media (max-width: 600px)", "min-height: 44px", "content: attr(data-label)", ".table-scroll", "flex-wrap: wrap"} {
		if !strings.Contains(css, w) {
			t.Errorf("admin.css lacks %s", w)
		}
	}
	js := adminGet(t, r, b, "/static/admin.js").Body
	for _, w := range []string{"window.confirm", "dataset.confirm", "disabled = true"} {
		if !strings.Contains(js, w) {
			t.Errorf("admin.js lacks %s", w)
		}
	}
}
