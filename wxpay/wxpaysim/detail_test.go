package wxpaysim_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"wxcheckout/wxpay/wxpaysim"
)

const goodDetail = `{"cost_price":13400,"goods_detail":[{"goods_id":"TEA","goods_name":"西湖龙井 <100g>","quantity":2,"price":3800},{"goods_id":"CUP","goods_name":"茶杯","quantity":1,"price":5800}]}`

var wantGoods = []wxpaysim.Goods{{ID: "TEA", Name: "西湖龙井 <100g>", Quantity: 2, Price: 3800}, {ID: "CUP", Name: "茶杯", Quantity: 1, Price: 5800}}

// badDetails are details WeChat refuses, each with part of its message.
var badDetails = []struct{ name, v2, v3, part string }{
	{"not JSON", `{"goods_detail":[`, ``, "JSON"},
	{"an array", `[1]`, `[1]`, "JSON"},
	{"cost_price yuan", `{"cost_price":1.5,"goods_detail":[]}`, `{"cost_price":1.5,"goods_detail":[]}`, "cost_price"},
	{"cost_price text", `{"cost_price": "100","goods_detail":[]}`, `{"cost_price": "100","goods_detail":[]}`, "cost_price"},
	{"no goods id", `{"goods_detail":[{"goods_name":"x","quantity":1,"price":1}]}`, `{"goods_detail":[{"goods_name":"x","quantity":1,"unit_price":1}]}`, "goods_id"},
	{"goods id 33", `{"goods_detail":[{"goods_id":"` + strings.Repeat("g", 33) + `","quantity":1,"price":1}]}`,
		`{"goods_detail":[{"merchant_goods_id":"` + strings.Repeat("g", 33) + `","quantity":1,"unit_price":1}]}`, "goods_id"},
	{"name 257", `{"goods_detail":[{"goods_id":"A","goods_name":"` + strings.Repeat("名", 257) + `","quantity":1,"price":1}]}`,
		`{"goods_detail":[{"merchant_goods_id":"A","goods_name":"` + strings.Repeat("名", 257) + `","quantity":1,"unit_price":1}]}`, "goods_name"},
	{"quantity 0", `{"goods_detail":[{"goods_id":"A","quantity":0,"price":1}]}`, `{"goods_detail":[{"merchant_goods_id":"A","quantity":0,"unit_price":1}]}`, "quantity"},
	{"quantity text", `{"goods_detail":[{"goods_id":"A","quantity":"2","price":1}]}`, `{"goods_detail":[{"merchant_goods_id":"A","quantity":"2","unit_price":1}]}`, "quantity"},
	{"price yuan", `{"goods_detail":[{"goods_id":"A","quantity":1,"price":0.01}]}`, `{"goods_detail":[{"merchant_goods_id":"A","quantity":1,"unit_price":0.01}]}`, "price"},
	{"price negative", `{"goods_detail":[{"goods_id":"A","quantity":1,"price":-1}]}`, `{"goods_detail":[{"merchant_goods_id":"A","quantity":1,"unit_price":-1}]}`, "price"},
	{"price missing", `{"goods_detail":[{"goods_id":"A","quantity":1}]}`, `{"goods_detail":[{"merchant_goods_id":"A","quantity":1}]}`, "price"},
}

func TestV2DetailIsCheckedKeptAndShown(t *testing.T) {
	r := manualRig(t)
	p := orderFields("DETAIL-OK-01")
	p["detail"] = goodDetail
	reply := r.signed(t, "/pay/unifiedorder", p)
	if reply["result_code"] != "SUCCESS" {
		t.Fatalf("valid detail refused: %v", reply)
	}
	info, _ := r.sim.Order("DETAIL-OK-01")
	if info.Detail != goodDetail || !equalGoods(info.Goods, wantGoods) {
		t.Errorf("order keeps detail %q goods %+v, want it as sent", info.Detail, info.Goods)
	}
	_, page := get(t, r.ts.URL+"/scan?code_url="+url.QueryEscape(reply["code_url"]))
	for _, want := range []string{`id="goods"`, "西湖龙井 &lt;100g&gt;", "× 2", "¥38.00", "茶杯", "¥58.00"} {
		if !strings.Contains(page, want) {
			t.Errorf("phone page lacks %q", want)
		}
	}
	big := orderFields("DETAIL-BIG-01")
	big["detail"] = `{"goods_detail":[],"x":"` + strings.Repeat("x", 6000) + `"}`
	if reply := r.signed(t, "/pay/unifiedorder", big); reply["err_code"] != "INVALID_REQUEST" || !strings.Contains(reply["err_code_des"], "6000") {
		t.Errorf("detail over 6000 bytes: %v", reply)
	}
	for i, tt := range badDetails {
		t.Run(tt.name, func(t *testing.T) {
			p := orderFields("DETAIL-BAD-" + string(rune('A'+i)))
			p["detail"] = tt.v2
			reply := r.signed(t, "/pay/unifiedorder", p)
			if reply["return_code"] != "SUCCESS" || reply["result_code"] != "FAIL" || reply["err_code"] != "INVALID_REQUEST" ||
				!strings.Contains(reply["err_code_des"], "detail") || !strings.Contains(reply["err_code_des"], tt.part) {
				t.Errorf("reply = %v, want INVALID_REQUEST about detail %s", reply, tt.part)
			}
		})
	}
	if n := len(r.sim.Orders()); n != 1 {
		t.Errorf("%d orders, want only the valid one", n)
	}
}

func TestV3DetailIsCheckedKeptAndShown(t *testing.T) {
	r := v3Rig(t, "")
	b := nativeBody("DETAIL-V3-01", "http://127.0.0.1:1/wxpay/v3/notify", r.clock.Now())
	b["detail"] = json.RawMessage(`{"cost_price":13400, "goods_detail":[{"merchant_goods_id":"TEA","goods_name":"西湖龙井 <100g>","quantity":2,"unit_price":3800},
		{"merchant_goods_id":"CUP","wechatpay_goods_id":"1001","goods_name":"茶杯","quantity":1,"unit_price":5800}]}`)
	resp := r.native(t, b)
	if resp.status != 200 {
		t.Fatalf("valid detail refused: %d %s", resp.status, resp.body)
	}
	info, _ := r.sim.Order("DETAIL-V3-01")
	if !equalGoods(info.Goods, wantGoods) || strings.ContainsAny(info.Detail, "\n\t") {
		t.Errorf("order keeps detail %q goods %+v, want the goods compacted", info.Detail, info.Goods)
	}
	if again := r.native(t, b); again.status != 200 {
		t.Errorf("re-entry with the same detail: %d %s", again.status, again.body)
	}
	b["detail"] = json.RawMessage(`{"goods_detail":[{"merchant_goods_id":"TEA","quantity":3,"unit_price":3800}]}`)
	if other := r.native(t, b); other.status != 400 || other.code(t) != "INVALID_REQUEST" {
		t.Errorf("re-entry with another detail: %d %s, want INVALID_REQUEST", other.status, other.body)
	}
	for i, tt := range badDetails {
		if tt.v3 == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			b := nativeBody("DETAIL-V3-BAD-"+string(rune('A'+i)), "http://127.0.0.1:1/wxpay/v3/notify", r.clock.Now())
			b["detail"] = json.RawMessage(tt.v3)
			resp := r.native(t, b)
			if resp.status != 400 || resp.code(t) != "PARAM_ERROR" || !strings.Contains(string(resp.body), tt.part) {
				t.Errorf("%s: %d %s, want 400 PARAM_ERROR about %s", tt.name, resp.status, resp.body, tt.part)
			}
		})
	}
	if n := len(r.sim.Orders()); n != 1 {
		t.Errorf("%d orders, want only the valid one", n)
	}
}

func equalGoods(a, b []wxpaysim.Goods) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
