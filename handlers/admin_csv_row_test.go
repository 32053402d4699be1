package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
)

// referenceCSVRow is the export's row as it was written before
// appendCSVRow: cells built as strings, then encoding/csv's Writer.
func referenceCSVRow(o *models.Order, now time.Time, l Lang) string {
	b := newStatusBadge(o, now, l)
	expired := ""
	if b.Expired {
		expired = l.T("adm_yes")
	}
	fulfil := ""
	if o.Fulfilment != models.FulfilNone {
		fulfil = l.T("fulfil_" + string(o.Fulfilment))
	}
	rec := []string{csvText(o.OutTradeNo), beijingTime(o.CreatedAt), b.Label, string(o.Status), expired,
		csvSafe(o.SKU), csvSafe(o.Body), csvSafe(itemsSummary(o)), strconv.Itoa(o.Quantity),
		o.TotalFee.Yuan(), strconv.FormatInt(int64(o.TotalFee), 10), csvText(o.TransactionID), beijingTimePtr(o.PaidAt),
		csvSafe(o.Flags), o.RefundedFee.Yuan(), strconv.FormatInt(int64(o.RefundedFee), 10),
		csvSafe(o.Buyer.Name), csvText(o.Buyer.Phone), csvSafe(o.Buyer.Address), csvSafe(o.Buyer.Note),
		fulfil, csvText(o.TrackingNo)}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(rec)
	w.Flush()
	return buf.String()
}

func csvTestOrders() []models.Order {
	at := time.Date(2026, 11, 22, 2, 3, 4, 500, time.UTC)
	paid := at.Add(90 * time.Second)
	return []models.Order{
		{OutTradeNo: "WX20261122000001", CreatedAt: at, ExpiresAt: at.Add(15 * time.Minute), Status: models.StatusPaid,
			SKU: "COFFEE", Body: "咖啡豆", Quantity: 3, TotalFee: 11601, TransactionID: "4200000001202611220000000001", PaidAt: &paid,
			Detail:      `{"cost_price":11601,"goods_detail":[{"goods_id":"COFFEE","goods_name":"咖啡豆","quantity":2,"price":5800},{"goods_id":"PENNY","goods_name":"一分钱商品","quantity":1,"price":1}]}`,
			RefundedFee: 5, Flags: "oversold,late", Fulfilment: models.FulfilShipped, TrackingNo: "SF1234567890",
			Buyer: models.Buyer{Name: "张三", Phone: "013800138000", Address: "浙江省杭州市, \"西湖区\"\n龙井路 1 号", Note: "=HYPERLINK(\"x\")"}},
		{OutTradeNo: "T-1", CreatedAt: at, ExpiresAt: at, Status: models.StatusNotPay, SKU: "+SKU", Body: " 前导空格",
			Quantity: 1, TotalFee: -7, Detail: `{"goods_detail":[]}`, Buyer: models.Buyer{Phone: "+86 138", Note: `\.`}},
		{OutTradeNo: "has space", CreatedAt: at, ExpiresAt: at.Add(time.Hour), Status: models.StatusClosed, Body: "@x",
			Detail: `{"goods_detail":[{"goods_name":"a\"b","quantity":1}]}`, TrackingNo: "\tT", Buyer: models.Buyer{Name: "-1"}},
		{OutTradeNo: strings.Repeat("9", 65), Status: models.StatusRefund, SKU: "S", Body: "B", Quantity: 4, TotalFee: 100,
			Detail: `{"GOODS_DETAIL":[{"goods_name":"x","quantity":2}]}`, Buyer: models.Buyer{Address: "\r\nx", Note: "\rcr"}},
		{OutTradeNo: "X", Status: models.StatusPaid, Body: "B", Detail: `{"goods_detail":[{"goods_name":"x","quantity":2.0}]}`},
	}
}

// The export's rows are byte for byte what encoding/csv wrote from the
// string cells, in both languages, for plain and awkward orders.
func TestAppendCSVRowMatchesEncodingCSV(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	for _, l := range []Lang{LangZH, LangEN} {
		for i, o := range csvTestOrders() {
			got, _ := appendCSVRow(nil, nil, &o, now, l)
			if want := referenceCSVRow(&o, now, l); string(got) != want {
				t.Errorf("%s #%d:\n got %q\nwant %q", l, i, got, want)
			}
		}
	}
}

// A golden row: the columns' content, fixed.
func TestAppendCSVRowGolden(t *testing.T) {
	o := csvTestOrders()[0]
	got, _ := appendCSVRow(nil, nil, &o, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), LangEN)
	want := `"=""WX20261122000001""",2026-11-22 10:03:04,` + LangEN.T("status_PAID") + `,PAID,,COFFEE,咖啡豆,咖啡豆 ×2; 一分钱商品 ×1,3,116.01,11601,` +
		`"=""4200000001202611220000000001""",2026-11-22 10:04:34,"oversold,late",0.05,5,张三,"=""013800138000""",` +
		`"浙江省杭州市, ""西湖区""` + "\n" + `龙井路 1 号","'=HYPERLINK(""x"")",` + LangEN.T("fulfil_shipped") + `,"=""SF1234567890"""` + "\n"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAppendYuan(t *testing.T) {
	for _, m := range []models.Money{0, 1, 9, 10, 99, 100, 101, 11601, -1, -100, -12345, 1<<62 + 7, -(1 << 62)} {
		if got := string(appendYuan(nil, m)); got != m.Yuan() {
			t.Errorf("appendYuan(%d) = %q, want %q", m, got, m.Yuan())
		}
	}
}

// scanGoods, where it answers, answers as encoding/json does.
func FuzzScanGoods(f *testing.F) {
	for _, o := range csvTestOrders() {
		f.Add(o.Detail)
	}
	for _, s := range []string{``, `{}`, `[]`, `{"goods_detail":null}`, `{"goods_detail":[null]}`, ` { "goods_detail" : [ { "quantity" : -0 , "goods_name" : "" } ] } `,
		`{"a":{"b":[1,2,{"c":"d"}]},"goods_detail":[{"goods_name":"n","quantity":1e2}]}`, `{"goods_detail":[{"goods_name":"n","quantity":1}],"goods_detail":[]}`,
		`{"goodſ_detail":[{"goods_name":"n","quantity":1}]}`, `{"goods_detail":[{"Quantity":3,"quantity":1,"goods_name":"x"}]}`,
		`{"goods_detail":[{"goods_name":"n","quantity":99999999999999999999}]}`, `{"goods_detail":[{"goods_name":"n","quantity":01}]}`, "{\"goods_detail\":[{\"goods_name\":\"\xff\"}]}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, detail string) {
		goods, ok := scanGoods(detail)
		if !ok {
			return
		}
		var d struct {
			Goods []struct {
				Name     string `json:"goods_name"`
				Quantity int    `json:"quantity"`
			} `json:"goods_detail"`
		}
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			t.Fatalf("scanGoods took %q, which encoding/json refuses: %v", detail, err)
		}
		if len(goods) != len(d.Goods) {
			t.Fatalf("%q: %d lines, encoding/json %d", detail, len(goods), len(d.Goods))
		}
		for i, g := range goods {
			if g.name != d.Goods[i].Name || g.quantity != int64(d.Goods[i].Quantity) {
				t.Fatalf("%q line %d: %+v, encoding/json %+v", detail, i, g, d.Goods[i])
			}
		}
		o := models.Order{SKU: "S", Body: "B", Quantity: 2, Detail: detail}
		if got := string(appendItemsSummary(nil, &o)); got != itemsSummary(&o) {
			t.Fatalf("%q: summary %q, want %q", detail, got, itemsSummary(&o))
		}
	})
}

// appendCSVCell and appendCSVSafe quote as encoding/csv does.
func FuzzAppendCSVCell(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", `a"b`, "a\nb", "a\rb", " a", "\u3000a", `\.`, "=1", "-1", "\tx", "\r\n", "\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cell := range []struct {
			got  []byte
			want string
		}{{appendCSVCell(nil, "", s), s}, {appendCSVSafe(nil, s), csvSafe(s)}, {appendCSVText(nil, s), csvText(s)}} {
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write([]string{cell.want})
			w.Flush()
			if want := strings.TrimSuffix(buf.String(), "\n"); string(cell.got) != want {
				t.Fatalf("%q: %q, encoding/csv %q", s, cell.got, want)
			}
		}
	})
}
