package wxpay_test

import (
	"errors"
	"testing"

	"wxcheckout/wxpay"
)

// FuzzParseRefundNotification: any body either is refused with one of the
// package's errors or yields a refund that keeps the rules (a known end
// state, 0 < refund_fee ≤ total_fee, valid refund numbers). Seeds include
// the Python-made vector so mutations reach the decryption and the inner
// document.
func FuzzParseRefundNotification(f *testing.F) {
	f.Add(refundVector(f))
	f.Add(sealed(f, refundInner()))
	f.Add(withReqInfo(f, sealRaw(f, `<root><out_refund_no>R1</out_refund_no><refund_fee>1</refund_fee></root>`)))
	f.Add(withReqInfo(f, sealRaw(f, seedXXE)))
	f.Add(withReqInfo(f, "AAAA"))
	f.Add([]byte(seedXXE))
	f.Add(wxpay.FailReply("x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := wxpay.ParseRefundNotification(body, testKey)
		if err != nil {
			var we *wxpay.Error
			if n != nil {
				t.Fatal("a refused notification returned a refund")
			}
			if !errors.Is(err, wxpay.ErrDecrypt) && !errors.Is(err, wxpay.ErrMalformedXML) &&
				!errors.Is(err, wxpay.ErrTooLarge) && !errors.Is(err, wxpay.ErrInvalidParam) && !errors.As(err, &we) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		switch n.Status {
		case wxpay.RefundSuccess, wxpay.RefundClosed, wxpay.RefundAbnormal:
		default:
			t.Fatalf("status %q", n.Status)
		}
		if n.RefundFee <= 0 || n.RefundFee > n.TotalFee {
			t.Fatalf("refund_fee %d of total_fee %d", n.RefundFee, n.TotalFee)
		}
		if !wxpay.ValidOutRefundNo(n.OutRefundNo) || !wxpay.ValidOutTradeNo(n.OutTradeNo) || n.RefundID == "" {
			t.Fatalf("refund %+v", n)
		}
	})
}
