package wxpayv3_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// refundResource is a REFUND.* resource's plaintext as WeChat's
// documentation writes it, for status.
func refundResource(status string) map[string]any {
	r := map[string]any{"mchid": testMchID, "out_trade_no": notifyNo, "transaction_id": "4200002345202411230000000001",
		"out_refund_no": refundNo, "refund_id": "50300000012024112300000000001", "refund_status": status,
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": 8800, "refund": 100, "payer_total": 8800, "payer_refund": 100}}
	if status == wxpay.RefundSuccess {
		r["success_time"] = "2024-11-23T16:00:05+08:00"
	}
	return r
}

// refundNotif is a REFUND.* notification of status, sealed as WeChat does
// (associated_data "refund").
func refundNotif(event string, res map[string]any) notif {
	return notif{event: event, tx: res, ad: "refund", envelope: func(env, _ map[string]any) { env["summary"] = "退款成功" }}
}

func TestParseNotificationRefund(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	tests := []struct{ event, status string }{
		{wxpayv3.EventRefundSuccess, wxpay.RefundSuccess},
		{wxpayv3.EventRefundAbnormal, wxpay.RefundAbnormal},
		{wxpayv3.EventRefundClosed, wxpay.RefundClosed},
	}
	for _, tt := range tests {
		for _, mode := range []string{"pubkey", "cert"} {
			t.Run(tt.event+"/"+mode, func(t *testing.T) {
				n0 := refundNotif(tt.event, refundResource(tt.status))
				n0.mode = mode
				h, body := n0.build(t, k)
				n, err := c.ParseNotification(h, body)
				if err != nil {
					t.Fatal(err)
				}
				if n.EventType != tt.event || n.OriginalType != "refund" || n.Transaction != nil || n.Refund == nil {
					t.Fatalf("Notification = %+v", n)
				}
				got := *n.Refund
				want := wxpay.RefundNotification{OutRefundNo: refundNo, OutTradeNo: notifyNo, RefundID: "50300000012024112300000000001",
					TransactionID: "4200002345202411230000000001", TotalFee: 8800, RefundFee: 100, Status: tt.status}
				st := got.SuccessTime
				got.SuccessTime, got.Fields = time.Time{}, nil
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Refund\n got %+v\nwant %+v", got, want)
				}
				if tt.status == wxpay.RefundSuccess && (!st.Equal(time.Date(2024, 11, 23, 8, 0, 5, 0, time.UTC)) || st.Format("-07:00") != "+08:00") {
					t.Errorf("SuccessTime = %v", st)
				}
				if tt.status != wxpay.RefundSuccess && !st.IsZero() {
					t.Errorf("SuccessTime = %v, want zero", st)
				}
				if n.Refund.Fields["user_received_account"] != "支付用户零钱" || n.Refund.Fields["amount.payer_refund"] != "100" {
					t.Errorf("Fields = %v", n.Refund.Fields)
				}
			})
		}
	}
}

func TestParseNotificationRefundRefusals(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	with := func(status string, edit func(r map[string]any)) map[string]any {
		r := refundResource(status)
		edit(r)
		return r
	}
	amount := func(key string, v any) func(r map[string]any) {
		return func(r map[string]any) { r["amount"].(map[string]any)[key] = v }
	}
	del := func(key string) func(r map[string]any) { return func(r map[string]any) { delete(r, key) } }
	ok := refundResource(wxpay.RefundSuccess)
	tests := []struct {
		name  string
		n     notif
		after func(b []byte) []byte
		want  error
	}{
		{name: "body changed after signing", n: refundNotif(wxpayv3.EventRefundSuccess, ok),
			after: func(b []byte) []byte { return bytes.Replace(b, []byte("REFUND.SUCCESS"), []byte("REFUND.CLOSED"), 1) }, want: wxpayv3.ErrBadSignature},
		{name: "tampered ciphertext, signed", n: func() notif {
			n := refundNotif(wxpayv3.EventRefundSuccess, ok)
			n.envelope = func(_, res map[string]any) {
				ct, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
				ct[5] ^= 1
				res["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
			}
			return n
		}(), want: wxpayv3.ErrDecrypt},
		{name: "associated_data changed", n: func() notif {
			n := refundNotif(wxpayv3.EventRefundSuccess, ok)
			n.envelope = func(_, res map[string]any) { res["associated_data"] = "transaction" }
			return n
		}(), want: wxpayv3.ErrDecrypt},
		{name: "another APIv3 key", n: func() notif {
			n := refundNotif(wxpayv3.EventRefundSuccess, ok)
			n.apiv3Key = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
			return n
		}(), want: wxpayv3.ErrDecrypt},
		{name: "another mchid", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", func(r map[string]any) { r["mchid"] = "1900000110" })),
			want: wxpay.ErrMerchantMismatch},
		{name: "no mchid", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("mchid"))), want: wxpay.ErrMerchantMismatch},
		{name: "REFUND.SUCCESS saying CLOSED", n: refundNotif(wxpayv3.EventRefundSuccess, refundResource("CLOSED")), want: wxpay.ErrInvalidParam},
		{name: "REFUND.CLOSED saying SUCCESS", n: refundNotif(wxpayv3.EventRefundClosed, ok), want: wxpay.ErrInvalidParam},
		{name: "REFUND.ABNORMAL saying PROCESSING", n: refundNotif(wxpayv3.EventRefundAbnormal, refundResource("PROCESSING")), want: wxpay.ErrInvalidParam},
		{name: "unknown refund_status", n: refundNotif(wxpayv3.EventRefundSuccess, refundResource("DONE")), want: wxpay.ErrInvalidParam},
		{name: "status under the reply's name", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", func(r map[string]any) {
			r["status"] = r["refund_status"]
			delete(r, "refund_status")
		})), want: wxpay.ErrInvalidParam},
		{name: "SUCCESS without success_time", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("success_time"))), want: wxpay.ErrInvalidParam},
		{name: "bad success_time", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", func(r map[string]any) { r["success_time"] = "2024-11-23 16:00:05" })),
			want: wxpay.ErrInvalidParam},
		{name: "no out_refund_no", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("out_refund_no"))), want: wxpay.ErrInvalidParam},
		{name: "no refund_id", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("refund_id"))), want: wxpay.ErrInvalidParam},
		{name: "no out_trade_no", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("out_trade_no"))), want: wxpay.ErrInvalidParam},
		{name: "no transaction_id", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", del("transaction_id"))), want: wxpay.ErrInvalidParam},
		{name: "refund 0", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", amount("refund", 0))), want: wxpay.ErrInvalidParam},
		{name: "refund over total", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", amount("refund", 8801))), want: wxpay.ErrInvalidParam},
		{name: "refund as a string", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", amount("refund", "100"))), want: wxpay.ErrInvalidParam},
		{name: "refund as a fraction", n: refundNotif(wxpayv3.EventRefundSuccess, with("SUCCESS", amount("refund", 1.5))), want: wxpay.ErrInvalidParam},
		{name: "refund twice in another case", n: notif{event: wxpayv3.EventRefundSuccess, ad: "refund",
			plaintext: bytes.Replace(mustJSON(t, ok), []byte(`"refund":100`), []byte(`"refund":1,"Refund":100`), 1)}, want: wxpayv3.ErrMalformed},
		{name: "resource not JSON", n: notif{event: wxpayv3.EventRefundClosed, ad: "refund", plaintext: []byte("<root/>")}, want: wxpayv3.ErrMalformed},
		{name: "resource a JSON array", n: notif{event: wxpayv3.EventRefundClosed, ad: "refund", plaintext: []byte("[]")}, want: wxpayv3.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.n.build(t, k)
			if tt.after != nil {
				body = tt.after(body)
			}
			n, err := c.ParseNotification(h, body)
			if !errors.Is(err, tt.want) || n != nil {
				t.Fatalf("ParseNotification = %+v, %v; want %v", n, err, tt.want)
			}
		})
	}
}
