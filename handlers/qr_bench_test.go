package handlers

import (
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// A code_url as WeChat returns it (the simulator's are the same length).
const benchCodeURL = "weixin://wxpay/bizpayurl?pr=Ab3dEf9hIjKl7nOp"

// BenchmarkQRRender draws one payment QR as /pay/:token/qr.png does on a
// cache miss: 256×256 PNG, medium error correction.
func BenchmarkQRRender(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrcode.Encode(benchCodeURL, qrcode.Medium, 256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQRCached is the same request once the code_url's PNG is cached.
func BenchmarkQRCached(b *testing.B) {
	q := newQRCache(16)
	if _, err := q.png(benchCodeURL); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.png(benchCodeURL); err != nil {
			b.Fatal(err)
		}
	}
}
