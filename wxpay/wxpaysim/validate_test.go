package wxpaysim_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// TestUnifiedOrderValidation sends hand-made requests, since the wxpay
// client refuses to send most of these.
func TestUnifiedOrderValidation(t *testing.T) {
	r := manualRig(t)
	set := func(k, v string) func(wxpay.Params) { return func(p wxpay.Params) { p[k] = v } }
	del := func(k string) func(wxpay.Params) { return func(p wxpay.Params) { delete(p, k) } }
	tests := []struct {
		name    string
		change  func(wxpay.Params)
		code    string // err_code, or "" for a return_code=FAIL
		desPart string // part of err_code_des or return_msg
	}{
		{"valid MD5 without sign_type", func(wxpay.Params) {}, "", ""},
		{"valid HMAC", set("sign_type", "HMAC-SHA256"), "", ""},
		{"valid IPv6 server", set("spbill_create_ip", "::1"), "", ""},
		{"time_expire 61s away", set("time_expire", wxpay.FormatTime(t0.Add(61*time.Second))), "", ""},
		{"no body", del("body"), "LACK_PARAMS", "body"},
		{"empty body", set("body", ""), "LACK_PARAMS", "body"},
		{"no out_trade_no", del("out_trade_no"), "LACK_PARAMS", "out_trade_no"},
		{"no total_fee", del("total_fee"), "LACK_PARAMS", "total_fee"},
		{"no spbill_create_ip", del("spbill_create_ip"), "LACK_PARAMS", "spbill_create_ip"},
		{"no notify_url", del("notify_url"), "LACK_PARAMS", "notify_url"},
		{"no trade_type", del("trade_type"), "LACK_PARAMS", "trade_type"},
		{"no nonce_str", del("nonce_str"), "LACK_PARAMS", "nonce_str"},
		{"no appid", del("appid"), "LACK_PARAMS", "appid"},
		{"NATIVE without product_id", del("product_id"), "INVALID_REQUEST", "product_id"},
		{"JSAPI without openid", set("trade_type", "JSAPI"), "", "JSAPI支付必须传openid"},
		{"unknown trade_type", set("trade_type", "QR"), "INVALID_REQUEST", "trade_type"},
		{"nonce_str 33", set("nonce_str", strings.Repeat("n", 33)), "INVALID_REQUEST", "nonce_str"},
		{"out_trade_no short", set("out_trade_no", "A1234"), "INVALID_REQUEST", "out_trade_no"},
		{"out_trade_no long", set("out_trade_no", strings.Repeat("A", 33)), "INVALID_REQUEST", "out_trade_no"},
		{"out_trade_no dot", set("out_trade_no", "ORDER.0001"), "INVALID_REQUEST", "out_trade_no"},
		{"body 128 bytes", set("body", strings.Repeat("b", 128)), "INVALID_REQUEST", "body"},
		{"total_fee zero", set("total_fee", "0"), "INVALID_REQUEST", "total_fee"},
		{"total_fee negative", set("total_fee", "-1"), "INVALID_REQUEST", "total_fee"},
		{"total_fee yuan", set("total_fee", "0.01"), "INVALID_REQUEST", "total_fee"},
		{"total_fee leading zero", set("total_fee", "01"), "INVALID_REQUEST", "total_fee"},
		{"total_fee plus", set("total_fee", "+1"), "INVALID_REQUEST", "total_fee"},
		{"total_fee text", set("total_fee", "ten"), "INVALID_REQUEST", "total_fee"},
		{"spbill_create_ip host", set("spbill_create_ip", "localhost"), "INVALID_REQUEST", "spbill_create_ip"},
		{"notify_url query", set("notify_url", "https://shop.example/notify?id=1"), "INVALID_REQUEST", "notify_url"},
		{"notify_url relative", set("notify_url", "/wxpay/notify"), "INVALID_REQUEST", "notify_url"},
		{"notify_url ftp", set("notify_url", "ftp://shop.example/n"), "INVALID_REQUEST", "notify_url"},
		{"product_id 33", set("product_id", strings.Repeat("p", 33)), "INVALID_REQUEST", "product_id"},
		{"attach 128", set("attach", strings.Repeat("a", 128)), "INVALID_REQUEST", "attach"},
		{"fee_type USD", set("fee_type", "USD"), "INVALID_REQUEST", "fee_type"},
		{"time_expire format", set("time_expire", "2025-03-01 10:30"), "INVALID_REQUEST", "time_expire"},
		{"time_expire past", set("time_expire", wxpay.FormatTime(t0.Add(-time.Hour))), "", "time_expire时间过短"},
		{"time_expire 59s away", set("time_expire", wxpay.FormatTime(t0.Add(59*time.Second))), "", "time_expire时间过短"},
		{"time_expire in UTC by mistake", set("time_expire", t0.Add(10*time.Minute).UTC().Format("20060102150405")), "", "time_expire时间过短"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := orderFields("VALID-" + string(rune('A'+i/26)) + string(rune('A'+i%26)) + "01")
			tt.change(p)
			reply := r.signed(t, "/pay/unifiedorder", p)
			switch {
			case tt.code == "" && tt.desPart == "":
				if reply["return_code"] != "SUCCESS" || reply["result_code"] != "SUCCESS" || reply["code_url"] == "" {
					t.Errorf("reply = %v, want success", reply)
				}
			case tt.code == "":
				if reply["return_code"] != "FAIL" || !strings.Contains(reply["return_msg"], tt.desPart) {
					t.Errorf("reply = %v, want return_code=FAIL %q", reply, tt.desPart)
				}
			default:
				if reply["return_code"] != "SUCCESS" || reply["result_code"] != "FAIL" ||
					reply["err_code"] != tt.code || !strings.Contains(reply["err_code_des"], tt.desPart) {
					t.Errorf("reply = %v, want %s mentioning %q", reply, tt.code, tt.desPart)
				}
			}
		})
	}
	if n := len(r.sim.Orders()); n != 4 {
		t.Errorf("%d orders created, want only the 4 valid ones", n)
	}
}

func TestMalformedRequests(t *testing.T) {
	r := manualRig(t)
	good := orderFields("MALFORMED-1")
	good["sign"], _ = wxpay.Sign(good, wxpaysim.DemoAPIKey, wxpay.SignMD5)
	hmacNoType := orderFields("MALFORMED-2")
	hmacNoType["sign"], _ = wxpay.Sign(hmacNoType, wxpaysim.DemoAPIKey, wxpay.SignHMACSHA256)
	badType := orderFields("MALFORMED-3")
	badType["sign_type"] = "SHA1"
	badType["sign"], _ = wxpay.Sign(badType, wxpaysim.DemoAPIKey, wxpay.SignMD5)
	noSign := orderFields("MALFORMED-4")
	tampered := orderFields("MALFORMED-5")
	tampered["sign"], _ = wxpay.Sign(tampered, wxpaysim.DemoAPIKey, wxpay.SignMD5)
	tampered["total_fee"] = "1"

	tests := []struct {
		name string
		body []byte
		msg  string // return_msg of a return_code=FAIL
		code string // or err_code of a signed result_code=FAIL
	}{
		{"empty", nil, "post数据为空", ""},
		{"not XML", []byte("appid=wx&mch_id=1"), "XML格式错误", ""},
		{"GBK bytes", []byte("<xml><body>\xb2\xe2\xca\xd4</body></xml>"), "编码格式错误，请使用UTF-8编码", ""},
		{"DOCTYPE", []byte(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><body>&x;</body></xml>`), "XML格式错误", ""},
		{"nested", []byte("<xml><body><b>x</b></body></xml>"), "XML格式错误", ""},
		{"other root", []byte("<order><body>x</body></order>"), "XML格式错误", ""},
		{"HMAC sign without sign_type", wxpay.Encode(hmacNoType), "签名错误", ""},
		{"unknown sign_type", wxpay.Encode(badType), "sign_type参数错误，只支持MD5和HMAC-SHA256", ""},
		{"tampered after signing", wxpay.Encode(tampered), "签名错误", ""},
		{"no sign", wxpay.Encode(noSign), "", "LACK_PARAMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := r.postRaw(t, "/pay/unifiedorder", tt.body)
			if tt.code != "" {
				if reply["result_code"] != "FAIL" || reply["err_code"] != tt.code {
					t.Errorf("reply = %v, want %s", reply, tt.code)
				}
				return
			}
			if reply["return_code"] != "FAIL" || reply["return_msg"] != tt.msg || reply["sign"] != "" {
				t.Errorf("reply = %v, want unsigned return_code=FAIL %q", reply, tt.msg)
			}
		})
	}
	t.Run("XML declaration", func(t *testing.T) {
		reply := r.postRaw(t, "/pay/unifiedorder", append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), wxpay.Encode(good)...))
		if reply["result_code"] != "SUCCESS" {
			t.Errorf("reply = %v, want success", reply)
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(r.ts.URL + "/pay/orderquery")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		p, err := wxpay.Decode(body)
		if resp.StatusCode != http.StatusOK || err != nil || p["return_code"] != "FAIL" || p["return_msg"] != "请使用post方法" {
			t.Errorf("GET: HTTP %d %q", resp.StatusCode, body)
		}
	})
	if n := len(r.sim.Orders()); n != 1 {
		t.Errorf("%d orders, want only the well-formed one", n)
	}
}
