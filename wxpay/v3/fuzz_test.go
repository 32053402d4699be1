package wxpayv3

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

const (
	fuzzAppID    = "wxd930ea5d5a258f4f"
	fuzzMchID    = "1900000109"
	fuzzKey      = "Wx3k9Qf2Lm8Zr4Tb6Yc1Nd5Hs7Jv0Pa2"
	fuzzSerial   = "PUB_KEY_ID_0119000001092024112300000000"
	fuzzNo       = "20241123150405000000Ab3dE5fG"
	fuzzSignedAt = 1732345450
)

// fuzzClient trusts testdata/pub.pem under fuzzSerial, and its clock
// stands at fuzzSignedAt.
func fuzzClient(tb testing.TB) (*Client, *http.Header, []byte) {
	tb.Helper()
	pemKey, err := os.ReadFile("testdata/key.pem")
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ParsePrivateKey(pemKey)
	if err != nil {
		tb.Fatal(err)
	}
	v := NewVerifier()
	v.Add(fuzzSerial, &key.PublicKey)
	at := time.Unix(fuzzSignedAt, 0)
	c, err := NewClient(Config{AppID: fuzzAppID, MchID: fuzzMchID, Signer: Signer{Serial: "5A1B2C3D", Key: key},
		Verifier: v, APIv3Key: []byte(fuzzKey), Now: func() time.Time { return at }})
	if err != nil {
		tb.Fatal(err)
	}
	body := sealed(tb, EventTransactionSuccess, fuzzTransaction(tb, "SUCCESS"))
	h := http.Header{}
	if err := SignHeaders(h, key, fuzzSerial, body, at, "fuzznonce"); err != nil {
		tb.Fatal(err)
	}
	return c, &h, body
}

func fuzzTransaction(tb testing.TB, state string) []byte {
	b, err := json.Marshal(map[string]any{"appid": fuzzAppID, "mchid": fuzzMchID, "out_trade_no": fuzzNo,
		"transaction_id": "4200002345202411230000000001", "trade_type": "NATIVE", "trade_state": state,
		"bank_type": "OTHERS", "success_time": "2024-11-23T15:04:05+08:00", "payer": map[string]any{"openid": "o1"},
		"amount": map[string]any{"total": 8800, "payer_total": 8800, "currency": "CNY"}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzRefund is a REFUND.* resource's plaintext.
func fuzzRefund(tb testing.TB, status string) []byte {
	b, err := json.Marshal(map[string]any{"mchid": fuzzMchID, "out_trade_no": fuzzNo, "transaction_id": "4200002345202411230000000001",
		"out_refund_no": "R20241123000001", "refund_id": "50300000012024112300000000001", "refund_status": status,
		"success_time": "2024-11-23T16:00:05+08:00", "user_received_account": "支付用户零钱",
		"amount": map[string]any{"total": 8800, "refund": 100, "payer_total": 8800, "payer_refund": 100}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sealed is a notification body around plaintext, encrypted as WeChat does.
func sealed(tb testing.TB, event string, plaintext []byte) []byte {
	r, err := Encrypt([]byte(fuzzKey), "fG3kd9Qp2LmZ", "transaction", plaintext, "transaction")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"id": "EV-1", "create_time": "2024-11-23T15:04:10+08:00",
		"resource_type": ResourceTypeEncrypted, "event_type": event, "summary": "支付成功", "resource": r})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzParseNotification: any body under a signature made for another body
// is refused; past the signature (parseVerified), any body and any
// plaintext sealed in an envelope is refused with a typed error or
// accepted only when it decrypts to a transaction of ours with its payment
// fields. Signing each input would cost the fuzzer a millisecond of RSA,
// so the signature is checked against the one signed seed.
func FuzzParseNotification(f *testing.F) {
	c, h, seed := fuzzClient(f)
	f.Add(seed, fuzzTransaction(f, "SUCCESS"), EventTransactionSuccess)
	f.Add(seed, fuzzTransaction(f, "CLOSED"), EventTransactionSuccess)
	f.Add(seed, []byte(`{"mchid":"1900000109","out_refund_no":"R1","refund_status":"SUCCESS"}`), EventRefundSuccess)
	f.Add(seed, fuzzRefund(f, "SUCCESS"), EventRefundSuccess)
	f.Add(seed, fuzzRefund(f, "ABNORMAL"), EventRefundAbnormal)
	f.Add(seed, fuzzRefund(f, "CLOSED"), EventRefundSuccess)
	f.Add([]byte(`{"id":"1","ID":"2"}`), []byte(`{"mchid":"1","MCHID":"2"}`), EventTransactionSuccess)
	f.Add([]byte(`{"resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"!!","nonce":"x"}}`), []byte(`{"amount":{"total":1e3}}`), "")
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`), []byte(`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`), "")
	f.Add([]byte{}, []byte{}, EventTransactionSuccess)
	f.Fuzz(func(t *testing.T, body, plaintext []byte, event string) {
		if n, err := c.ParseNotification(*h, body); err == nil && !bytes.Equal(body, seed) {
			t.Fatalf("accepted under another body's signature: %+v", n)
		}
		checkParsed(t, body)(c.parseVerified(body))
		if len(plaintext) <= MaxBodySize/2 {
			b := sealed(t, event, plaintext)
			checkParsed(t, b)(c.parseVerified(b))
		}
	})
}

func checkParsed(t *testing.T, body []byte) func(*Notification, error) {
	return func(n *Notification, err error) {
		t.Helper()
		if err != nil {
			if n != nil {
				t.Fatalf("a notification and an error: %+v, %v", n, err)
			}
			for _, known := range []error{ErrMalformed, ErrDecrypt, wxpay.ErrMerchantMismatch, wxpay.ErrInvalidParam} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("untyped refusal: %v", err)
		}
		var env struct {
			EventType string   `json:"event_type"`
			Resource  Resource `json:"resource"`
		}
		if json.Unmarshal(body, &env) != nil {
			t.Fatalf("accepted a body that is not a JSON envelope: %q", body)
		}
		pt, err := Decrypt([]byte(fuzzKey), env.Resource)
		if err != nil || !bytes.Equal(pt, n.Plaintext) || env.EventType != n.EventType {
			t.Fatalf("accepted, yet the resource decrypts to %q (%v), not %q", pt, err, n.Plaintext)
		}
		checkRefundParsed(t, n)
		tx := n.Transaction
		switch {
		case (n.EventType == EventTransactionSuccess) != (tx != nil):
			t.Fatalf("event %q with Transaction %+v", n.EventType, tx)
		case tx == nil:
		case tx.AppID != fuzzAppID || tx.MchID != fuzzMchID || !wxpay.ValidOutTradeNo(tx.OutTradeNo):
			t.Fatalf("accepted another merchant's or order's transaction: %+v", tx)
		case tx.Paid() && (tx.TotalFee <= 0 || tx.TransactionID == "" || tx.TimeEnd.IsZero()):
			t.Fatalf("accepted a payment without its amount, transaction_id or time: %+v", tx)
		}
	}
}

// checkRefundParsed: a refund comes with a REFUND.* event only, ours,
// with the state its event names and amounts that make sense.
func checkRefundParsed(t *testing.T, n *Notification) {
	t.Helper()
	r := n.Refund
	switch {
	case (refundEvents[n.EventType] != "") != (r != nil):
		t.Fatalf("event %q with Refund %+v", n.EventType, r)
	case r == nil:
	case r.Fields["mchid"] != fuzzMchID || !ValidOutRefundNo(r.OutRefundNo) || !wxpay.ValidOutTradeNo(r.OutTradeNo) ||
		r.RefundID == "" || r.TransactionID == "":
		t.Fatalf("accepted another merchant's or an incomplete refund: %+v", r)
	case r.Status != refundEvents[n.EventType]:
		t.Fatalf("%s with refund_status %q", n.EventType, r.Status)
	case r.RefundFee <= 0 || r.RefundFee > r.TotalFee:
		t.Fatalf("accepted refund %d of total %d", r.RefundFee, r.TotalFee)
	case r.Status == wxpay.RefundSuccess && r.SuccessTime.IsZero():
		t.Fatalf("accepted a successful refund without success_time: %+v", r)
	}
}
