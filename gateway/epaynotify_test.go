package gateway_test

import (
	"errors"
	"maps"
	"net/url"
	"testing"

	"wxcheckout/gateway"
)

func TestEpayNotifyParams(t *testing.T) {
	tests := []struct {
		name  string
		order gateway.EpayOrder
		want  map[string]string
	}{
		{
			name:  "no param",
			order: gateway.EpayOrder{Pid: 1000, TradeNo: "20240601123000123456", OutTradeNo: "A-1", Name: "月卡 VIP", Money: 5800},
			want: map[string]string{
				"pid": "1000", "trade_no": "20240601123000123456", "out_trade_no": "A-1", "type": "wxpay",
				"name": "月卡 VIP", "money": "58.00", "trade_status": "TRADE_SUCCESS",
				// md5 of "money=58.00&name=月卡 VIP&out_trade_no=A-1&pid=1000&trade_no=20240601123000123456&trade_status=TRADE_SUCCESS&type=wxpay" + testKey
				"sign": "b18e66c3155e74dc8ebebbd60e1ebf3c", "sign_type": "MD5",
			},
		},
		{
			name:  "with param",
			order: gateway.EpayOrder{Pid: 1000, TradeNo: "20240601123000123457", OutTradeNo: "A-2", Name: "测试", Money: 1, Param: "uid=7&x=1"},
			want: map[string]string{
				"pid": "1000", "trade_no": "20240601123000123457", "out_trade_no": "A-2", "type": "wxpay",
				"name": "测试", "money": "0.01", "trade_status": "TRADE_SUCCESS", "param": "uid=7&x=1",
				// md5 of "money=0.01&name=测试&out_trade_no=A-2&param=uid=7&x=1&pid=1000&trade_no=20240601123000123457&trade_status=TRADE_SUCCESS&type=wxpay" + testKey
				"sign": "8a66bcd2090aaac62bf67bdf0e6dce26", "sign_type": "MD5",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := gateway.EpayNotifyParams(tt.order, testKey)
			for k, vs := range v {
				if len(vs) != 1 || vs[0] == "" {
					t.Errorf("field %s = %q, want exactly one non-empty value", k, vs)
				}
			}
			got := flat(v)
			if !maps.Equal(got, tt.want) {
				t.Errorf("EpayNotifyParams =\n%v\nwant\n%v", got, tt.want)
			}
			// What the merchants' plugins do with the GET they receive.
			if err := gateway.EpayVerify(got, testKey); err != nil {
				t.Errorf("EpayVerify = %v", err)
			}
			if s := dujiaokaSign(got, testKey); s != got["sign"] {
				t.Errorf("dujiaoka computes %s, notification says %s", s, got["sign"])
			}
			if s := v2boardSign(got, testKey); s != got["sign"] {
				t.Errorf("v2board computes %s, notification says %s", s, got["sign"])
			}
		})
	}
}

// TestEmptyFieldBreaksV2board is why the notification never carries an
// empty field: v2board would sign "param=" that the epay sign leaves out.
func TestEmptyFieldBreaksV2board(t *testing.T) {
	p := flat(gateway.EpayNotifyParams(gateway.EpayOrder{Pid: 1000, TradeNo: "T", OutTradeNo: "O", Name: "n", Money: 100}, testKey))
	p["param"] = ""
	if v2boardSign(p, testKey) == p["sign"] {
		t.Error("v2board accepts an empty param; the rule in EpayNotifyParams would be unnecessary")
	}
}

func TestReturnURL(t *testing.T) {
	params := url.Values{"a": {"1"}, "name": {"测试 x"}}
	const added = "a=1&name=%E6%B5%8B%E8%AF%95+x"
	tests := []struct {
		in, want string
	}{
		{"https://shop.example.com/return", "https://shop.example.com/return?" + added},
		{"https://shop.example.com/return?order_id=9", "https://shop.example.com/return?order_id=9&" + added},
		{"https://shop.example.com/return?", "https://shop.example.com/return?" + added},
		{"https://shop.example.com/return?x=1&", "https://shop.example.com/return?x=1&" + added},
		{"https://v2.example.com/#/order/202406011230001", "https://v2.example.com/?" + added + "#/order/202406011230001"},
		{"https://shop.example.com/r?x=1#top", "https://shop.example.com/r?x=1&" + added + "#top"},
		{"https://shop.example.com/r#a?b=1", "https://shop.example.com/r?" + added + "#a?b=1"},
		{"https://shop.example.com/%E8%AE%A2%E5%8D%95?q=%20", "https://shop.example.com/%E8%AE%A2%E5%8D%95?q=%20&" + added},
	}
	for _, tt := range tests {
		got, err := gateway.ReturnURL(tt.in, params)
		if err != nil || got != tt.want {
			t.Errorf("ReturnURL(%q) = %q, %v\nwant %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "/return", "javascript:alert(1)", "https://u:p@shop.example.com/"} {
		if _, err := gateway.ReturnURL(bad, params); !errors.Is(err, gateway.ErrBadURL) {
			t.Errorf("ReturnURL(%q) = %v, want ErrBadURL", bad, err)
		}
	}
}

// TestReturnURLVerifies: the merchant's page reads the added parameters back
// from its query and the sign holds.
func TestReturnURLVerifies(t *testing.T) {
	o := gateway.EpayOrder{Pid: 1000, TradeNo: "20240601123000123457", OutTradeNo: "A-2", Name: "测试 & 100%", Money: 990, Param: "a=b&c=d#e"}
	u, err := gateway.ReturnURL("https://shop.example.com/return?order_id=A-2#done", gateway.EpayNotifyParams(o, testKey))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Fragment != "done" {
		t.Errorf("fragment = %q, want done", parsed.Fragment)
	}
	got := flat(parsed.Query())
	delete(got, "order_id") // the merchant's own; the sign covers only what was added
	if err := gateway.EpayVerify(got, testKey); err != nil {
		t.Errorf("EpayVerify(return_url's query) = %v", err)
	}
	if got["name"] != o.Name || got["param"] != o.Param || got["money"] != "9.90" {
		t.Errorf("query gives name %q param %q money %q", got["name"], got["param"], got["money"])
	}
}

func TestEpayDelivered(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{200, "success", true},
		{200, "SUCCESS", true},
		{200, "Success\n", true},
		{200, "  success \r\n", true},
		{204, "success", true},
		{299, "success", true},
		{200, "\uFEFFsuccess", true},
		{200, "ok", false},
		{200, "", false},
		{200, "success!", false},
		{200, "successful", false},
		{200, "fail", false},
		{200, `{"msg":"success"}`, false},
		{200, "su ccess", false},
		{301, "success", false},
		{500, "success", false},
		{199, "success", false},
	}
	for _, tt := range tests {
		if got := gateway.EpayDelivered(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("EpayDelivered(%d, %q) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}
