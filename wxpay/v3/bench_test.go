package wxpayv3_test

import (
	"encoding/json"
	"testing"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// A typical Native order body as the checkout sends it.
const benchNativeBody = `{"appid":"wxd930ea5d5a258f4f","mchid":"1900000109","description":"小店-咖啡豆 500g",` +
	`"out_trade_no":"20241123150405000000Ab3dE5fG","time_expire":"2024-11-23T15:19:05+08:00",` +
	`"notify_url":"https://shop.example.com/wxpay/v3/notify","amount":{"total":8800,"currency":"CNY"}}`

// BenchmarkSign is a request's Authorization: RSA-2048 PKCS#1 v1.5 SHA-256
// with the merchant key.
func BenchmarkSign(b *testing.B) {
	k := loadKeys(b)
	s := wxpayv3.Signer{MchID: testMchID, Serial: testMchSerial, Key: k.merchant}
	at := time.Unix(1732345445, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authorization("POST", "/v3/pay/transactions/native", []byte(benchNativeBody), at, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify checks a typical payment notification's Wechatpay-*
// headers: serial look-up, window, RSA-2048 verification.
func BenchmarkVerify(b *testing.B) {
	k := loadKeys(b)
	at := time.Now()
	h, body := notif{at: at}.build(b, k)
	v := k.verifier("pubkey", "cert")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt opens a typical payment notification's resource
// (AES-256-GCM, about 500 bytes of transaction JSON).
func BenchmarkDecrypt(b *testing.B) {
	var env struct{ Resource wxpayv3.Resource }
	if err := json.Unmarshal(notif{}.seal(b), &env); err != nil {
		b.Fatal(err)
	}
	key := []byte(testAPIv3Key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wxpayv3.Decrypt(key, env.Resource); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNotification is the whole of a notification's parsing:
// verify, strict JSON, decrypt, decode and check the transaction.
func BenchmarkParseNotification(b *testing.B) {
	k := loadKeys(b)
	c := newClient(b, k.config("http://127.0.0.1:1"))
	h, body := notif{}.build(b, k)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseNotification(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
