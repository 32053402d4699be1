package checkout_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/wxpaysim"
)

func product(t *testing.T, r *testrig.Rig, sku, name string, price models.Money) *models.Product {
	t.Helper()
	p := &models.Product{SKU: sku, Name: name, NameEN: "EN " + sku, Price: price, Active: true}
	must(t, r.Svc.CreateProduct(context.Background(), p))
	return p
}

func placeCart(r *testrig.Rig, lines ...checkout.Line) (*models.Order, error) {
	return r.Svc.PlaceOrder(context.Background(), checkout.PlaceRequest{Lines: lines, ClientIP: "127.0.0.1"})
}

type v2Detail struct {
	CostPrice   int64 `json:"cost_price"`
	GoodsDetail []struct {
		GoodsID   string `json:"goods_id"`
		GoodsName string `json:"goods_name"`
		Quantity  int64  `json:"quantity"`
		Price     int64  `json:"price"`
	} `json:"goods_detail"`
}

func TestCartTotalComesFromTheDatabase(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	tea := product(t, r, "TEA", "西湖龙井 100g", 3800)
	product(t, r, "CUP", "茶杯", 1250)
	o, err := placeCart(r, checkout.Line{SKU: "TEA", Quantity: 2}, checkout.Line{SKU: "CUP", Quantity: 1}, checkout.Line{SKU: "TEA", Quantity: 1})
	must(t, err)
	lines, err := r.Svc.OrderItems(context.Background(), o)
	must(t, err)
	if o.TotalFee != 3*3800+1250 || o.Quantity != 4 || len(lines) != 2 {
		t.Fatalf("total %d, %d pieces, %d lines; want 12650, 4, 2 (the same SKU merged)", o.TotalFee, o.Quantity, len(lines))
	}
	if info, _ := r.Sim.Order(o.OutTradeNo); info.TotalFee != 12650 {
		t.Errorf("WeChat was asked for %d fen, want 12650", info.TotalFee)
	}
	// A later price change leaves the order's lines as they were sold.
	tea.Price = 9900
	must(t, r.Svc.UpdateProduct(context.Background(), tea))
	items, err := r.Svc.OrderItems(context.Background(), r.Order(t, o.OutTradeNo))
	must(t, err)
	if len(items) != 2 || items[0].UnitPrice != 3800 || items[0].Quantity != 3 || items[1].UnitPrice != 1250 {
		t.Errorf("stored lines %+v, want TEA 3×38.00 and CUP 1×12.50", items)
	}
	if got := r.Order(t, o.OutTradeNo); got.TotalFee != 12650 {
		t.Errorf("stored total %d after a price change, want 12650", got.TotalFee)
	}
	o2, err := placeCart(r, checkout.Line{SKU: "TEA", Quantity: 1})
	must(t, err)
	if o2.TotalFee != 9900 {
		t.Errorf("a new order costs %d, want the new price 9900", o2.TotalFee)
	}
}

func TestBadCartsCreateNothing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	product(t, r, "TEA", "西湖龙井", 3800)
	off := product(t, r, "OLD", "旧商品", 100)
	must(t, r.Svc.SetProductActive(context.Background(), off.ID, false))
	many := make([]checkout.Line, checkout.MaxCartLines+1)
	for i := range many {
		p := product(t, r, "P"+string(rune('A'+i)), "商品", 100)
		many[i] = checkout.Line{SKU: p.SKU, Quantity: 1}
	}
	tests := []struct {
		name  string
		lines []checkout.Line
		kind  checkout.Kind
	}{
		{"no product", nil, checkout.KindNotFound},
		{"too many lines", many, checkout.KindInvalid},
		{"quantity 0", []checkout.Line{{SKU: "TEA", Quantity: 0}}, checkout.KindInvalid},
		{"quantity 100", []checkout.Line{{SKU: "TEA", Quantity: 100}}, checkout.KindInvalid},
		{"negative", []checkout.Line{{SKU: "TEA", Quantity: -1}}, checkout.KindInvalid},
		{"merged over the limit", []checkout.Line{{SKU: "TEA", Quantity: 60}, {SKU: "TEA", Quantity: 40}}, checkout.KindInvalid},
		{"unknown SKU", []checkout.Line{{SKU: "TEA", Quantity: 1}, {SKU: "NOPE", Quantity: 1}}, checkout.KindNotFound},
		{"deactivated SKU", []checkout.Line{{SKU: "OLD", Quantity: 1}}, checkout.KindNotFound},
		{"SKU 33", []checkout.Line{{SKU: strings.Repeat("S", 33), Quantity: 1}}, checkout.KindNotFound},
	}
	for _, tt := range tests {
		if _, err := placeCart(r, tt.lines...); checkout.KindOf(err) != tt.kind {
			t.Errorf("%s: %v, want kind %v", tt.name, err, tt.kind)
		}
	}
	if n := r.CountRows(t, "orders"); n != 0 {
		t.Errorf("%d orders created by bad carts", n)
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Errorf("%d WeChat orders placed by bad carts", n)
	}
	if _, err := r.Svc.Quote(context.Background(), nil); checkout.KindOf(err) != checkout.KindInvalid {
		t.Errorf("quote of an empty cart: %v, want invalid", err)
	}
	if _, err := placeCart(r, many[:checkout.MaxCartLines]...); err != nil {
		t.Errorf("a cart of MaxCartLines lines: %v", err)
	}
}

func TestBodyFitsWeChatAndDetailListsEveryLine(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	long := strings.Repeat("龙", 40) + strings.Repeat("𠀀", 20) // 60 characters, 200 bytes
	product(t, r, "LONG", long, 100)
	product(t, r, "CUP", "茶杯", 1250)
	for _, lines := range [][]checkout.Line{
		{{SKU: "LONG", Quantity: 1}},
		{{SKU: "LONG", Quantity: 2}, {SKU: "CUP", Quantity: 3}},
	} {
		q, err := r.Svc.Quote(context.Background(), lines)
		must(t, err)
		body := q.Body()
		if len(body) > 127 || !utf8.ValidString(body) || !strings.HasPrefix(long, strings.TrimSuffix(body, " 等5件")) || len(body) < 115 {
			t.Errorf("body %q (%d bytes): want ≤127 bytes, whole characters, the first product's name", body, len(body))
		}
		if len(lines) == 2 && !strings.HasSuffix(body, " 等5件") {
			t.Errorf("body %q, want it to count the 5 pieces", body)
		}
		var d v2Detail
		must(t, json.Unmarshal([]byte(q.Detail()), &d))
		if d.CostPrice != int64(q.Total) || len(d.GoodsDetail) != len(lines) {
			t.Fatalf("detail %s, want cost_price %d and %d lines", q.Detail(), q.Total, len(lines))
		}
		for i, g := range d.GoodsDetail {
			if g.GoodsID != lines[i].SKU || g.Quantity != int64(lines[i].Quantity) || g.Price != int64(q.Items[i].UnitPrice) ||
				len(g.GoodsName) > 256 || !utf8.ValidString(g.GoodsName) {
				t.Errorf("detail line %d = %+v, want %s × %d", i, g, lines[i].SKU, lines[i].Quantity)
			}
		}
	}
}

// A cart order's body and detail arrive at WeChat as the order stores them,
// in v2 and in v3 (converted to v3's detail object).
func TestCartBodyAndDetailReachWeChat(t *testing.T) {
	for _, v3 := range []bool{false, true} {
		r := testrig.New(t, testrig.Options{V3: v3})
		product(t, r, "TEA", "西湖龙井 <100g> & \"明前\"", 3800)
		product(t, r, "CUP", "茶杯", 1250)
		o, err := placeCart(r, checkout.Line{SKU: "TEA", Quantity: 2}, checkout.Line{SKU: "CUP", Quantity: 1})
		must(t, err)
		info, ok := r.Sim.Order(o.OutTradeNo)
		if !ok {
			t.Fatalf("v3=%v: WeChat has no order %s", v3, o.OutTradeNo)
		}
		if info.Body != o.Body || o.Body != `西湖龙井 <100g> & "明前" 等3件` {
			t.Errorf("v3=%v: WeChat's body %q, order's %q", v3, info.Body, o.Body)
		}
		want := []wxpaysim.Goods{{ID: "TEA", Name: `西湖龙井 <100g> & "明前"`, Quantity: 2, Price: 3800}, {ID: "CUP", Name: "茶杯", Quantity: 1, Price: 1250}}
		if len(info.Goods) != 2 || info.Goods[0] != want[0] || info.Goods[1] != want[1] {
			t.Errorf("v3=%v: WeChat's goods %+v, want %+v", v3, info.Goods, want)
		}
		if !v3 && info.Detail != o.Detail {
			t.Errorf("v2 detail at WeChat %q, stored %q", info.Detail, o.Detail)
		}
		if v3 && !strings.Contains(info.Detail, `"merchant_goods_id":"TEA"`) || v3 && !strings.Contains(info.Detail, `"unit_price":3800`) {
			t.Errorf("v3 detail at WeChat %s, want v3's field names", info.Detail)
		}
		if got := r.Order(t, o.OutTradeNo); got.Detail != o.Detail || got.Body != o.Body {
			t.Errorf("v3=%v: stored detail/body changed", v3)
		}
	}
}

// The largest cart (MaxCartLines lines of the longest names, in four-byte
// characters and characters JSON escapes) still fits WeChat's 6000 bytes
// of detail, and WeChat accepts it.
func TestLargestCartDetailFitsWeChat(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	var lines []checkout.Line
	for i := range checkout.MaxCartLines {
		sku := strings.Repeat("S", 30) + string(rune('A'+i/26)) + string(rune('A'+i%26))
		name := strings.Repeat("𠀀", 30) + strings.Repeat("<&\"", 10)
		product(t, r, sku, name, 100)
		lines = append(lines, checkout.Line{SKU: sku, Quantity: 1})
	}
	o, err := placeCart(r, lines...)
	if err != nil {
		t.Fatalf("largest cart: %v", err)
	}
	var d v2Detail
	if len(o.Detail) > 6000 || json.Unmarshal([]byte(o.Detail), &d) != nil || len(d.GoodsDetail) != checkout.MaxCartLines {
		t.Fatalf("detail of %d bytes, %d lines: want ≤6000 bytes listing all %d", len(o.Detail), len(d.GoodsDetail), checkout.MaxCartLines)
	}
	for _, g := range d.GoodsDetail {
		if !utf8.ValidString(g.GoodsName) || !strings.HasPrefix(strings.Repeat("𠀀", 30)+strings.Repeat("<&\"", 10), g.GoodsName) || g.GoodsName == "" {
			t.Errorf("goods_name %q: want a whole-character prefix of the name", g.GoodsName)
		}
	}
	if info, _ := r.Sim.Order(o.OutTradeNo); len(info.Goods) != checkout.MaxCartLines {
		t.Errorf("WeChat lists %d goods, want %d", len(info.Goods), checkout.MaxCartLines)
	}
}
