package wxpay_test

import (
	"testing"

	"wxcheckout/wxpay"
)

// unifiedOrderFields is a typical unifiedorder request as signed: 13 fields.
func unifiedOrderFields(st wxpay.SignType) wxpay.Params {
	return wxpay.Params{
		"appid": testAppID, "mch_id": testMchID, "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"sign_type": string(st), "body": "小店-咖啡豆 500g", "out_trade_no": "20240502123000000000Ab3dE5fG",
		"total_fee": "8800", "spbill_create_ip": "203.0.113.7", "notify_url": "https://shop.example.com/wxpay/notify",
		"trade_type": "NATIVE", "product_id": "beans-500", "time_start": "20240502123000", "time_expire": "20240502143000",
	}
}

func benchmarkSign(b *testing.B, st wxpay.SignType) {
	p := unifiedOrderFields(st)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wxpay.Sign(p, testKey, st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignMD5(b *testing.B)  { benchmarkSign(b, wxpay.SignMD5) }
func BenchmarkSignHMAC(b *testing.B) { benchmarkSign(b, wxpay.SignHMACSHA256) }

func BenchmarkVerifyNotification(b *testing.B) {
	p, err := wxpay.Decode(notificationBody(b, wxpay.SignHMACSHA256))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := wxpay.Verify(p, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeNotification(b *testing.B) {
	body := notificationBody(b, wxpay.SignHMACSHA256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wxpay.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNotification is the notify endpoint's work: decode, verify
// (HMAC-SHA256 without sign_type) and read the typed fields.
func BenchmarkParseNotification(b *testing.B) {
	body := notificationBody(b, wxpay.SignHMACSHA256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wxpay.ParseNotification(body, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeUnifiedOrder(b *testing.B) {
	p := unifiedOrderFields(wxpay.SignHMACSHA256)
	p["sign"] = refSign(p, testKey, wxpay.SignHMACSHA256)
	b.ReportAllocs()
	for b.Loop() {
		wxpay.Encode(p)
	}
}

// BenchmarkDecodeEntityHeavy is the largest accepted body whose one field is
// nothing but "&lt;": the decoder must stay linear in it.
func BenchmarkDecodeEntityHeavy(b *testing.B) {
	body := entityHeavyBody("&lt;")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wxpay.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
