package handlers

import (
	"encoding/json"
	"testing"
)

// The hand-written encoder must say exactly what encoding/json says.
func FuzzStatusJSON(f *testing.F) {
	f.Add("NOTPAY", "20261122100000ABCDEFGH", int64(5800), int64(0), false, int64(1795000000000))
	f.Add("PAID", "a\"b\\c<d>&\u2028é\x00", int64(-1), int64(1<<62), true, int64(-5))
	f.Add("", "\xff\xfe", int64(0), int64(0), true, int64(0))
	f.Fuzz(func(t *testing.T, status, no string, total, refunded int64, expired bool, at int64) {
		s := statusJSON{Status: status, OutTradeNo: no, TotalFee: total, RefundedFee: refunded, Expired: expired, ExpiresAt: at}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON = %s\nencoding/json = %s", got, want)
		}
	})
}
