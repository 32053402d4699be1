package wxpayv3_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

const notifyNo = "20241123150405000000Ab3dE5fG"

// notif describes a notification to build: the event and its resource's
// plaintext, how it is encrypted and signed, and edits at each stage.
type notif struct {
	event     string
	tx        map[string]any // the resource's plaintext, as JSON
	plaintext []byte         // instead of tx
	apiv3Key  string         // default testAPIv3Key
	ad        string         // associated_data and original_type; default "transaction"
	mode      string         // "pubkey" (default) or "cert"
	at        time.Time      // signing time; default now
	envelope  func(env map[string]any, res map[string]any)
	body      func(b []byte) []byte // the envelope's bytes, before signing
}

// build returns the headers and body WeChat would post.
func (n notif) build(tb testing.TB, k *testKeys) (http.Header, []byte) {
	tb.Helper()
	body := n.seal(tb)
	if n.at.IsZero() {
		n.at = time.Now()
	}
	if n.mode == "" {
		n.mode = "pubkey"
	}
	return k.signedHeaders(tb, n.mode, body, n.at), body
}

// seal returns the body: the plaintext encrypted into its envelope.
func (n notif) seal(tb testing.TB) []byte {
	tb.Helper()
	if n.event == "" {
		n.event = wxpayv3.EventTransactionSuccess
	}
	if n.apiv3Key == "" {
		n.apiv3Key = testAPIv3Key
	}
	pt := n.plaintext
	if pt == nil {
		if n.tx == nil {
			n.tx = paidTransaction(notifyNo)
		}
		pt = mustJSON(tb, n.tx)
	}
	if n.ad == "" {
		n.ad = "transaction"
	}
	r, err := wxpayv3.Encrypt([]byte(n.apiv3Key), "fG3kd9Qp2LmZ", n.ad, pt, n.ad)
	if err != nil {
		tb.Fatal(err)
	}
	res := map[string]any{"algorithm": r.Algorithm, "ciphertext": r.Ciphertext, "nonce": r.Nonce,
		"associated_data": r.AssociatedData, "original_type": r.OriginalType}
	env := map[string]any{"id": "EV-2018022511223320873", "create_time": "2024-11-23T15:04:10+08:00",
		"resource_type": "encrypt-resource", "event_type": n.event, "summary": "支付成功", "resource": res}
	if n.envelope != nil {
		n.envelope(env, res)
	}
	body := mustJSON(tb, env)
	if n.body != nil {
		body = n.body(body)
	}
	return body
}

func TestParseNotificationPaid(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	for _, mode := range []string{"pubkey", "cert"} {
		t.Run(mode, func(t *testing.T) {
			h, body := notif{mode: mode}.build(t, k)
			n, err := c.ParseNotification(h, body)
			if err != nil {
				t.Fatal(err)
			}
			if n.ID != "EV-2018022511223320873" || n.EventType != "TRANSACTION.SUCCESS" || n.Summary != "支付成功" ||
				n.OriginalType != "transaction" || !n.CreateTime.Equal(time.Date(2024, 11, 23, 7, 4, 10, 0, time.UTC)) {
				t.Errorf("envelope: %+v", n)
			}
			tx := n.Transaction
			if tx == nil {
				t.Fatal("no Transaction")
			}
			want := wxpay.Notification{AppID: testAppID, MchID: testMchID, ResultCode: "SUCCESS", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
				TradeType: "NATIVE", BankType: "OTHERS", TotalFee: 8800, CashFee: 8800, FeeType: "CNY",
				TransactionID: "4200002345202411230000000001", OutTradeNo: notifyNo}
			got := *tx
			got.Fields, got.TimeEnd = nil, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Transaction\n got %+v\nwant %+v", got, want)
			}
			if !tx.Paid() || !tx.TimeEnd.Equal(time.Date(2024, 11, 23, 7, 4, 5, 0, time.UTC)) || tx.TimeEnd.Format("-07:00") != "+08:00" {
				t.Errorf("Paid %v, TimeEnd %v", tx.Paid(), tx.TimeEnd)
			}
			if tx.Fields["amount.payer_currency"] != "CNY" || tx.Fields["transaction_id"] != tx.TransactionID {
				t.Errorf("Fields = %v", tx.Fields)
			}
			if !bytes.Contains(n.Plaintext, []byte(`"transaction_id":"4200002345202411230000000001"`)) {
				t.Errorf("Plaintext = %s", n.Plaintext)
			}
		})
	}
}

func TestParseNotificationUnpaidStateIsVerifiedNotPaid(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	tx := map[string]any{"appid": testAppID, "mchid": testMchID, "out_trade_no": notifyNo, "trade_state": "PAYERROR",
		"trade_state_desc": "支付失败", "amount": map[string]any{"total": 8800}}
	h, body := notif{tx: tx}.build(t, k)
	n, err := c.ParseNotification(h, body)
	if err != nil {
		t.Fatal(err)
	}
	if tr := n.Transaction; tr.Paid() || tr.ResultCode != "FAIL" || tr.ErrCode != "PAYERROR" || tr.TransactionID != "" || tr.TotalFee != 0 {
		t.Fatalf("Transaction = %+v", tr)
	}
}

func TestParseNotificationOtherEvents(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	refund := []byte(`{"mchid":"1900000109","out_trade_no":"` + notifyNo + `","transaction_id":"4200002345202411230000000001",` +
		`"out_refund_no":"R20241123000001","refund_id":"50000000382019052709732678859","refund_status":"SUCCESS",` +
		`"success_time":"2024-11-23T16:00:00+08:00","amount":{"total":8800,"refund":100,"payer_total":8800,"payer_refund":100}}`)
	// REFUND.* events are decoded (refund_notify_test.go); others pass through.
	for _, ev := range []string{"SOMETHING.NEW", "REFUND.SOMETHING_NEW"} {
		h, body := notif{event: ev, plaintext: refund}.build(t, k)
		n, err := c.ParseNotification(h, body)
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if n.EventType != ev || n.Transaction != nil || n.Refund != nil || !bytes.Equal(n.Plaintext, refund) {
			t.Fatalf("%s: %+v", ev, n)
		}
	}
}

func TestParseNotificationRefusals(t *testing.T) {
	k := loadKeys(t)
	c := newClient(t, k.config("http://127.0.0.1:1"))
	txWith := func(edit func(tx map[string]any)) map[string]any {
		tx := paidTransaction(notifyNo)
		edit(tx)
		return tx
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	tests := []struct {
		name   string
		n      notif
		header func(h http.Header)
		after  func(b []byte) []byte // after signing
		want   error
	}{
		{name: "body changed after signing", after: replace(`"summary":"支付成功"`, `"summary":"支付成功 "`), want: wxpayv3.ErrBadSignature},
		{name: "nonce changed after signing", header: func(h http.Header) { h.Set(wxpayv3.HeaderNonce, "another") }, want: wxpayv3.ErrBadSignature},
		{name: "timestamp changed after signing", header: func(h http.Header) {
			ts, _ := strconv.ParseInt(h.Get(wxpayv3.HeaderTimestamp), 10, 64)
			h.Set(wxpayv3.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
		}, want: wxpayv3.ErrBadSignature},
		{name: "signature not base64", header: func(h http.Header) { h.Set(wxpayv3.HeaderSignature, "!!") }, want: wxpayv3.ErrBadSignature},
		{name: "no Wechatpay-Signature", header: func(h http.Header) { h.Del(wxpayv3.HeaderSignature) }, want: wxpayv3.ErrMissingHeader},
		{name: "no Wechatpay-Serial", header: func(h http.Header) { h.Del(wxpayv3.HeaderSerial) }, want: wxpayv3.ErrMissingHeader},
		{name: "no Wechatpay-Timestamp", header: func(h http.Header) { h.Del(wxpayv3.HeaderTimestamp) }, want: wxpayv3.ErrMissingHeader},
		{name: "no Wechatpay-Nonce", header: func(h http.Header) { h.Del(wxpayv3.HeaderNonce) }, want: wxpayv3.ErrMissingHeader},
		{name: "unknown serial", header: func(h http.Header) { h.Set(wxpayv3.HeaderSerial, "PUB_KEY_ID_0119000001092024112300000001") }, want: wxpayv3.ErrUnknownSerial},
		{name: "signed by the platform key under the public key ID", n: notif{mode: "cert"}, header: func(h http.Header) {
			h.Set(wxpayv3.HeaderSerial, testPubKeyID)
		}, want: wxpayv3.ErrBadSignature},
		{name: "6 minutes old", n: notif{at: time.Now().Add(-6 * time.Minute)}, want: wxpayv3.ErrStaleTimestamp},
		{name: "6 minutes ahead", n: notif{at: time.Now().Add(6 * time.Minute)}, want: wxpayv3.ErrStaleTimestamp},
		{name: "tampered ciphertext, signed", n: notif{envelope: func(_, res map[string]any) {
			ct, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
			ct[3] ^= 1
			res["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
		}}, want: wxpayv3.ErrDecrypt},
		{name: "another associated_data", n: notif{envelope: func(_, res map[string]any) { res["associated_data"] = "refund" }}, want: wxpayv3.ErrDecrypt},
		{name: "encrypted with another APIv3 key", n: notif{apiv3Key: strings.Repeat("k", 32)}, want: wxpayv3.ErrDecrypt},
		{name: "another mchid", n: notif{tx: txWith(func(tx map[string]any) { tx["mchid"] = "1900000110" })}, want: wxpay.ErrMerchantMismatch},
		{name: "another appid", n: notif{tx: txWith(func(tx map[string]any) { tx["appid"] = "wx0000000000000000" })}, want: wxpay.ErrMerchantMismatch},
		{name: "not JSON", n: notif{body: func([]byte) []byte { return []byte("<xml></xml>") }}, want: wxpayv3.ErrMalformed},
		{name: "a JSON array", n: notif{body: func(b []byte) []byte { return append(append([]byte("["), b...), ']') }}, want: wxpayv3.ErrMalformed},
		{name: "data after the object", n: notif{body: func(b []byte) []byte { return append(b, "{}"...) }}, want: wxpayv3.ErrMalformed},
		{name: "event_type twice", n: notif{body: replace(`{`, `{"event_type":"REFUND.SUCCESS",`)}, want: wxpayv3.ErrMalformed},
		{name: "id twice in another case", n: notif{body: replace(`{`, `{"ID":"EV-1",`)}, want: wxpayv3.ErrMalformed},
		{name: "resource_type not encrypt-resource", n: notif{envelope: func(env, _ map[string]any) { env["resource_type"] = "plain" }}, want: wxpayv3.ErrMalformed},
		{name: "no resource", n: notif{envelope: func(env, _ map[string]any) { delete(env, "resource") }}, want: wxpayv3.ErrMalformed},
		{name: "resource a string", n: notif{envelope: func(env, _ map[string]any) { env["resource"] = "x" }}, want: wxpayv3.ErrMalformed},
		{name: "resource without nonce", n: notif{envelope: func(_, res map[string]any) { delete(res, "nonce") }}, want: wxpayv3.ErrMalformed},
		{name: "another algorithm", n: notif{envelope: func(_, res map[string]any) { res["algorithm"] = "AEAD_SM4_GCM" }}, want: wxpayv3.ErrMalformed},
		{name: "no id", n: notif{envelope: func(env, _ map[string]any) { delete(env, "id") }}, want: wxpayv3.ErrMalformed},
		{name: "bad create_time", n: notif{envelope: func(env, _ map[string]any) { env["create_time"] = "20241123150410" }}, want: wxpayv3.ErrMalformed},
		{name: "over 64 KiB", n: notif{envelope: func(env, _ map[string]any) { env["summary"] = strings.Repeat("a", 64<<10) }}, want: wxpay.ErrTooLarge},
		{name: "paid without transaction_id", n: notif{tx: txWith(func(tx map[string]any) { delete(tx, "transaction_id") })}, want: wxpay.ErrInvalidParam},
		{name: "paid amount 0", n: notif{tx: txWith(func(tx map[string]any) { tx["amount"] = map[string]any{"total": 0} })}, want: wxpay.ErrInvalidParam},
		{name: "amount as a string", n: notif{tx: txWith(func(tx map[string]any) { tx["amount"] = map[string]any{"total": "8800"} })}, want: wxpay.ErrInvalidParam},
		{name: "amount as a fraction", n: notif{tx: txWith(func(tx map[string]any) { tx["amount"] = map[string]any{"total": 88.5} })}, want: wxpay.ErrInvalidParam},
		{name: "another currency", n: notif{tx: txWith(func(tx map[string]any) { tx["amount"].(map[string]any)["currency"] = "USD" })}, want: wxpay.ErrInvalidParam},
		{name: "bad success_time", n: notif{tx: txWith(func(tx map[string]any) { tx["success_time"] = "20241123150405" })}, want: wxpay.ErrInvalidParam},
		{name: "no out_trade_no", n: notif{tx: txWith(func(tx map[string]any) { delete(tx, "out_trade_no") })}, want: wxpay.ErrInvalidParam},
		{name: "no trade_state", n: notif{tx: txWith(func(tx map[string]any) { delete(tx, "trade_state") })}, want: wxpay.ErrInvalidParam},
		{name: "resource not JSON", n: notif{plaintext: []byte("total=8800")}, want: wxpayv3.ErrMalformed},
		{name: "mchid twice in the resource", n: notif{plaintext: []byte(`{"mchid":"1900000110","mchid":"` + testMchID + `"}`)}, want: wxpayv3.ErrMalformed},
		{name: "total twice in the resource's amount", n: notif{plaintext: bytes.Replace(mustJSON(t, paidTransaction(notifyNo)),
			[]byte(`"total":8800`), []byte(`"total":1,"Total":8800`), 1)}, want: wxpayv3.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.n.build(t, k)
			if tt.header != nil {
				tt.header(h)
			}
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
