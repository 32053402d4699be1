package wxpayv3_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

func TestDetailFromV2(t *testing.T) {
	d, err := wxpayv3.DetailFromV2(`{"cost_price":8850,"goods_detail":[{"goods_id":"TEA","goods_name":"西湖龙井","quantity":2,"price":3800},{"goods_id":"CUP","goods_name":"茶杯","quantity":1,"price":1250}]}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d)
	want := `{"cost_price":8850,"goods_detail":[{"merchant_goods_id":"TEA","goods_name":"西湖龙井","quantity":2,"unit_price":3800},{"merchant_goods_id":"CUP","goods_name":"茶杯","quantity":1,"unit_price":1250}]}`
	if string(b) != want {
		t.Errorf("v3 detail\n %s\nwant\n %s", b, want)
	}
	if d, err := wxpayv3.DetailFromV2(""); d != nil || err != nil {
		t.Errorf("no detail = %v, %v; want nil", d, err)
	}
	for _, bad := range []string{
		`{"goods_detail":[`, `[]`, `{"goods_detail":[{"goods_id":"","quantity":1,"price":1}]}`,
		`{"goods_detail":[{"goods_id":"` + strings.Repeat("g", 33) + `","quantity":1,"price":1}]}`,
		`{"goods_detail":[{"goods_id":"A","goods_name":"` + strings.Repeat("名", 257) + `","quantity":1,"price":1}]}`,
		`{"goods_detail":[{"goods_id":"A","quantity":0,"price":1}]}`, `{"goods_detail":[{"goods_id":"A","quantity":1,"price":-1}]}`,
		`{"goods_detail":[{"goods_id":"A","quantity":1,"price":0.5}]}`, `{"cost_price":-1,"goods_detail":[]}`,
	} {
		if _, err := wxpayv3.DetailFromV2(bad); !errors.Is(err, wxpay.ErrInvalidParam) {
			t.Errorf("DetailFromV2(%.60s) = %v, want ErrInvalidParam", bad, err)
		}
	}
}
