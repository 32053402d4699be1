package gateway_test

import (
	"errors"
	"maps"
	"net/url"
	"strings"
	"testing"

	"wxcheckout/gateway"
)

// v2boardRequest is what v2board's EPay plugin sends to submit.php: no type
// (so WeChat Pay by default), money as PHP prints total_amount/100.
func v2boardRequest() map[string]string {
	return map[string]string{
		"money":        "9.9",
		"name":         "202406011230001",
		"notify_url":   "https://v2.example.com/api/v1/guest/payment/notify/EPay/abc",
		"out_trade_no": "202406011230001",
		"pid":          "1001",
		"return_url":   "https://v2.example.com/#/order/202406011230001",
	}
}

// dujiaokaRequest is what dujiaoka's 易支付 plugin sends: money as
// (float)actual_price prints, a return_url with a query of its own.
func dujiaokaRequest() map[string]string {
	return map[string]string{
		"pid":          "1001",
		"type":         "wxpay",
		"out_trade_no": "2024060112300ABCD",
		"return_url":   "https://shop.example.com/pay/yipay/return_url?order_id=2024060112300ABCD",
		"notify_url":   "https://shop.example.com/pay/yipay/notify_url",
		"name":         "2024060112300ABCD",
		"money":        "58",
	}
}

// TestEpaySignHandComputed checks EpaySign against strings written out by
// hand (md5 of each can be checked with `printf '%s' '…' | md5sum`): byte
// order, raw values (no escaping of ":/?#&=" or Chinese), the key appended
// with no "&key=", sign and sign_type and empty values left out.
func TestEpaySignHandComputed(t *testing.T) {
	tests := []struct {
		name   string
		p      map[string]string
		toSign string
		want   string
	}{
		{
			name:   "v2board request",
			p:      v2boardRequest(),
			toSign: "money=9.9&name=202406011230001&notify_url=https://v2.example.com/api/v1/guest/payment/notify/EPay/abc&out_trade_no=202406011230001&pid=1001&return_url=https://v2.example.com/#/order/202406011230001" + testKey,
			want:   "e357c6069a8dc4fddb8a20c4eee9851b",
		},
		{
			name:   "dujiaoka request",
			p:      dujiaokaRequest(),
			toSign: "money=58&name=2024060112300ABCD&notify_url=https://shop.example.com/pay/yipay/notify_url&out_trade_no=2024060112300ABCD&pid=1001&return_url=https://shop.example.com/pay/yipay/return_url?order_id=2024060112300ABCD&type=wxpay" + testKey,
			want:   "c8145f29ee0efb8f1642fee554957fe5",
		},
		{
			name: "chinese, empty param, sign and sign_type left out",
			p: map[string]string{
				"pid": "1000", "trade_no": "20240601123000123456", "out_trade_no": "A-1", "type": "wxpay",
				"name": "月卡 VIP", "money": "58.00", "trade_status": "TRADE_SUCCESS", "param": "",
				"sign": "ffffffffffffffffffffffffffffffff", "sign_type": "MD5",
			},
			toSign: "money=58.00&name=月卡 VIP&out_trade_no=A-1&pid=1000&trade_no=20240601123000123456&trade_status=TRADE_SUCCESS&type=wxpay" + testKey,
			want:   "b18e66c3155e74dc8ebebbd60e1ebf3c",
		},
		{
			name: "param holding & and = is signed raw",
			p: map[string]string{
				"pid": "1000", "trade_no": "20240601123000123457", "out_trade_no": "A-2", "type": "wxpay",
				"name": "测试", "money": "0.01", "trade_status": "TRADE_SUCCESS", "param": "uid=7&x=1",
			},
			toSign: "money=0.01&name=测试&out_trade_no=A-2&param=uid=7&x=1&pid=1000&trade_no=20240601123000123457&trade_status=TRADE_SUCCESS&type=wxpay" + testKey,
			want:   "8a66bcd2090aaac62bf67bdf0e6dce26",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := md5Hex(tt.toSign); got != tt.want {
				t.Fatalf("md5 of the hand-written string = %s, want %s (test vector wrong)", got, tt.want)
			}
			if got := gateway.EpaySign(tt.p, testKey); got != tt.want {
				t.Errorf("EpaySign = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestEpayVerifyPlugins: requests signed the way the shop systems sign them
// verify.
func TestEpayVerifyPlugins(t *testing.T) {
	tests := []struct {
		name string
		p    map[string]string
		sign func(map[string]string, string) string
	}{
		{"v2board", v2boardRequest(), v2boardSign},
		{"dujiaoka", dujiaokaRequest(), dujiaokaSign},
		{"dujiaoka with empty param", func() map[string]string { p := dujiaokaRequest(); p["param"] = ""; return p }(), dujiaokaSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := maps.Clone(tt.p)
			p["sign"] = tt.sign(p, testKey)
			p["sign_type"] = "MD5"
			if err := gateway.EpayVerify(p, testKey); err != nil {
				t.Errorf("EpayVerify = %v, want nil", err)
			}
		})
	}
}

func TestEpayVerifyRefuses(t *testing.T) {
	signed := func(edit func(p map[string]string)) map[string]string {
		p := dujiaokaRequest()
		p["sign"] = dujiaokaSign(p, testKey)
		p["sign_type"] = "MD5"
		edit(p)
		return p
	}
	tests := []struct {
		name string
		p    map[string]string
		key  string
		want error // nil: accepted
	}{
		{"as signed", signed(func(map[string]string) {}), testKey, nil},
		{"sign_type lower case", signed(func(p map[string]string) { p["sign_type"] = "md5" }), testKey, nil},
		{"sign_type absent", signed(func(p map[string]string) { delete(p, "sign_type") }), testKey, nil},
		{"upper-case sign", signed(func(p map[string]string) { p["sign"] = strings.ToUpper(p["sign"]) }), testKey, nil},
		{"no sign", signed(func(p map[string]string) { delete(p, "sign") }), testKey, gateway.ErrSignMissing},
		{"empty sign", signed(func(p map[string]string) { p["sign"] = "" }), testKey, gateway.ErrSignMissing},
		{"sign_type RSA", signed(func(p map[string]string) { p["sign_type"] = "RSA" }), testKey, gateway.ErrBadSign},
		{"money changed", signed(func(p map[string]string) { p["money"] = "0.01" }), testKey, gateway.ErrBadSign},
		{"58 read as 58.00", signed(func(p map[string]string) { p["money"] = "58.00" }), testKey, gateway.ErrBadSign},
		{"field added", signed(func(p map[string]string) { p["param"] = "x" }), testKey, gateway.ErrBadSign},
		{"other key", signed(func(map[string]string) {}), strings.Repeat("a", 32), gateway.ErrBadSign},
		{"short sign", signed(func(p map[string]string) { p["sign"] = p["sign"][:31] }), testKey, gateway.ErrBadSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gateway.EpayVerify(tt.p, tt.key)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("EpayVerify = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzEpayVerify: any query verifies or fails with a typed error, EpaySign
// agrees with the dujiaoka-style signer on every parameter set, and a
// request signed by it verifies.
func FuzzEpayVerify(f *testing.F) {
	seed := dujiaokaRequest()
	seed["sign"] = dujiaokaSign(seed, testKey)
	seed["sign_type"] = "MD5"
	q := make(url.Values)
	for k, v := range seed {
		q.Set(k, v)
	}
	f.Add(q.Encode())
	f.Add("sign=&sign_type=RSA&money=")
	f.Add("a=%E6%B5%8B&b=&sign=" + strings.Repeat("F", 32))
	f.Add("%zz=1&sign_type=md5")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p := flat(v)
		if err := gateway.EpayVerify(p, testKey); err != nil &&
			!errors.Is(err, gateway.ErrBadSign) && !errors.Is(err, gateway.ErrSignMissing) {
			t.Fatalf("EpayVerify(%q) = %v, not a typed error", query, err)
		}
		if got, want := gateway.EpaySign(p, testKey), dujiaokaSign(p, testKey); got != want {
			t.Fatalf("EpaySign(%q) = %s, dujiaoka computes %s", query, got, want)
		}
		p["sign"] = dujiaokaSign(p, testKey)
		p["sign_type"] = "MD5"
		if err := gateway.EpayVerify(p, testKey); err != nil {
			t.Fatalf("EpayVerify(signed %q) = %v", query, err)
		}
	})
}
