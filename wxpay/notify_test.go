package wxpay_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

func TestParseNotificationGood(t *testing.T) {
	// A notification as WeChat sends it: CDATA and bare values mixed, a
	// coupon, an HMAC sign and no sign_type.
	p := signed(t, notificationFields(), testKey, wxpay.SignHMACSHA256)
	var b strings.Builder
	b.WriteString("<xml>\n")
	for _, k := range []string{"appid", "attach", "bank_type", "cash_fee", "coupon_count", "coupon_fee", "coupon_fee_0",
		"coupon_id_0", "fee_type", "is_subscribe", "mch_id", "nonce_str", "openid", "out_trade_no", "result_code",
		"return_code", "return_msg", "sign", "time_end", "total_fee", "trade_type", "transaction_id"} {
		if k == "total_fee" || k == "cash_fee" || k == "time_end" || k == "sign" {
			b.WriteString("  <" + k + ">" + p[k] + "</" + k + ">\n")
		} else {
			b.WriteString("  <" + k + "><![CDATA[" + p[k] + "]]></" + k + ">\n")
		}
	}
	b.WriteString("</xml>")

	n, err := wxpay.ParseNotification([]byte(b.String()), testKey)
	if err != nil {
		t.Fatalf("ParseNotification: %v\n%s", err, b.String())
	}
	wantEnd := time.Date(2024, 5, 1, 4, 35, 1, 0, time.UTC) // 12:35:01 in Beijing
	checks := []struct {
		name      string
		got, want any
	}{
		{"AppID", n.AppID, testAppID},
		{"MchID", n.MchID, testMchID},
		{"Paid", n.Paid(), true},
		{"TotalFee", n.TotalFee, int64(2800)},
		{"CashFee", n.CashFee, int64(2600)},
		{"TransactionID", n.TransactionID, "4200001234202405011234567890"},
		{"OutTradeNo", n.OutTradeNo, "20240501123456000000Ab3dE5fG"},
		{"Attach", n.Attach, "订单 #42"},
		{"OpenID", n.OpenID, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		{"TimeEnd", n.TimeEnd.Equal(wantEnd), true},
		{"TimeEnd offset", offset(n.TimeEnd), 8 * 3600},
		{"coupon_fee_0 kept", n.Fields["coupon_fee_0"], "200"},
		{"coupon_id_0 kept", n.Fields["coupon_id_0"], "10000"},
		{"sign kept", n.Fields["sign"], p["sign"]},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func offset(t time.Time) int {
	_, off := t.Zone()
	return off
}

func TestParseNotificationCases(t *testing.T) {
	base := notificationFields()
	with := func(kv ...string) wxpay.Params {
		q := clone(base)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "-" {
				delete(q, kv[i])
			} else {
				q[kv[i]] = kv[i+1]
			}
		}
		return q
	}
	enc := func(p wxpay.Params, st wxpay.SignType) []byte { return wxpay.Encode(signed(t, p, testKey, st)) }
	tampered := signed(t, base, testKey, wxpay.SignHMACSHA256)
	tampered["total_fee"] = "1"
	tests := []struct {
		name     string
		body     []byte
		wantErr  error // nil: accepted
		wantPaid bool
		wantCode string // *wxpay.Error ReturnCode when the error is one
	}{
		{"hmac without sign_type", enc(base, wxpay.SignHMACSHA256), nil, true, ""},
		{"hmac with sign_type", enc(with("sign_type", "HMAC-SHA256"), wxpay.SignHMACSHA256), nil, true, ""},
		{"md5 with coupons", enc(with("sign_type", "MD5", "coupon_fee_1", "100", "coupon_type_0", "CASH"), wxpay.SignMD5), nil, true, ""},
		{"md5 without sign_type", enc(base, wxpay.SignMD5), nil, true, ""},
		{"promotion_detail kept", enc(with("promotion_detail", `{"promotion_detail":[{"promotion_id":"109519","amount":5}]}`), wxpay.SignHMACSHA256), nil, true, ""},
		{"result FAIL", enc(with("result_code", "FAIL", "err_code", "SYSTEMERROR", "err_code_des", "系统错误", "transaction_id", "-", "time_end", "-"), wxpay.SignHMACSHA256), nil, false, ""},
		{"bad sign", wxpay.Encode(tampered), wxpay.ErrBadSign, false, ""},
		{"missing sign", wxpay.Encode(base), wxpay.ErrSignMissing, false, ""},
		{"wrong key", wxpay.Encode(signed(t, base, "other-key", wxpay.SignHMACSHA256)), wxpay.ErrBadSign, false, ""},
		{"return FAIL", wxpay.Encode(wxpay.Params{"return_code": "FAIL", "return_msg": "签名失败"}), nil, false, "FAIL"},
		{"no return_code", enc(with("return_code", "-"), wxpay.SignHMACSHA256), nil, false, ""},
		{"malformed", []byte("<xml><a>"), wxpay.ErrMalformedXML, false, ""},
		{"xxe", []byte(`<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>`), wxpay.ErrMalformedXML, false, ""},
		{"bad total_fee", enc(with("total_fee", "12.5"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
		{"zero total_fee", enc(with("total_fee", "0"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
		{"plus total_fee", enc(with("total_fee", "+2800"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
		{"bad time_end", enc(with("time_end", "2024-05-01"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
		{"paid without transaction_id", enc(with("transaction_id", "-"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
		{"without out_trade_no", enc(with("out_trade_no", "-"), wxpay.SignHMACSHA256), wxpay.ErrInvalidParam, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := wxpay.ParseNotification(tt.body, testKey)
			var we *wxpay.Error
			switch {
			case tt.wantCode != "":
				if !errors.As(err, &we) || we.ReturnCode != tt.wantCode {
					t.Fatalf("ParseNotification = %v, want *wxpay.Error with return_code %s", err, tt.wantCode)
				}
				if tt.wantCode == "FAIL" && we.ReturnMsg != "签名失败" {
					t.Errorf("ReturnMsg = %q, want %q", we.ReturnMsg, "签名失败")
				}
			case tt.name == "no return_code":
				if err == nil {
					t.Fatalf("ParseNotification without return_code = nil error")
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseNotification = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("ParseNotification = %v, want nil", err)
				}
				if n.Paid() != tt.wantPaid {
					t.Errorf("Paid() = %v, want %v", n.Paid(), tt.wantPaid)
				}
				if !n.Paid() && (n.ErrCode != "SYSTEMERROR" || n.TotalFee != 0) {
					t.Errorf("unpaid: ErrCode = %q TotalFee = %d, want SYSTEMERROR, 0", n.ErrCode, n.TotalFee)
				}
			}
		})
	}
}

func TestClientParseNotificationMerchant(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", wxpay.SignHMACSHA256)
	tests := []struct {
		name    string
		kv      []string
		wantErr error
	}{
		{"ours", nil, nil},
		{"other appid", []string{"appid", "wx0000000000000000"}, wxpay.ErrMerchantMismatch},
		{"other mch_id", []string{"mch_id", "10000101"}, wxpay.ErrMerchantMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := notificationFields()
			for i := 0; i < len(tt.kv); i += 2 {
				p[tt.kv[i]] = tt.kv[i+1]
			}
			_, err := c.ParseNotification(wxpay.Encode(signed(t, p, testKey, wxpay.SignHMACSHA256)))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("ParseNotification = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestReplies(t *testing.T) {
	want := "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
	if got := string(wxpay.SuccessReply); got != want {
		t.Errorf("SuccessReply = %s\nwant           %s", got, want)
	}
	p, err := wxpay.Decode(wxpay.FailReply("签名错误 <&>"))
	if err != nil {
		t.Fatalf("Decode(FailReply) = %v", err)
	}
	if p["return_code"] != "FAIL" || p["return_msg"] != "签名错误 <&>" || len(p) != 2 {
		t.Errorf("FailReply decodes to %q, want return_code FAIL and the reason", p)
	}
}

func TestIsSuccessReply(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{string(wxpay.SuccessReply), true},
		{"<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>", true},
		{"success", false},
		{"SUCCESS", false},
		{`{"return_code":"SUCCESS","return_msg":"OK"}`, false},
		{"<html><body>SUCCESS</body></html>", false},
		{string(wxpay.FailReply("busy")), false},
		{"<xml><return_code><![CDATA[success]]></return_code></xml>", false},
		{"<xml><return_code> SUCCESS </return_code></xml>", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := wxpay.IsSuccessReply([]byte(tt.body)); got != tt.want {
			t.Errorf("IsSuccessReply(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestParamsInt64(t *testing.T) {
	p := wxpay.Params{"a": "2800", "b": "-1", "c": "+100", "d": "", "e": "1.5", "f": " 1", "g": "9223372036854775808", "h": "0"}
	tests := []struct {
		name   string
		want   int64
		wantOK bool
	}{
		{"a", 2800, true}, {"b", -1, true}, {"c", 0, false}, {"d", 0, false}, {"e", 0, false},
		{"f", 0, false}, {"g", 0, false}, {"h", 0, true}, {"missing", 0, false},
	}
	for _, tt := range tests {
		got, ok := p.Int64(tt.name)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("Int64(%q = %q) = %d, %v; want %d, %v", tt.name, p[tt.name], got, ok, tt.want, tt.wantOK)
		}
	}
}
