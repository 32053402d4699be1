package wxpaysim_test

import (
	"net/http"
	"testing"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// v3Paid places a v3 order of 1234 fen and pays it.
func v3Paid(tb testing.TB, r *rig, no string) {
	tb.Helper()
	if resp := r.native(tb, nativeBody(no, "http://127.0.0.1:1/wxpay/v3/notify", r.clock.Now())); resp.status != http.StatusOK {
		tb.Fatalf("native %s: %d %s", no, resp.status, resp.body)
	}
	if err := r.sim.PayOutTradeNo(no); err != nil {
		tb.Fatal(err)
	}
}

func refundBody(no, refundNo string, refund, total int64, notifyURL string) map[string]any {
	b := map[string]any{
		"out_trade_no": no, "out_refund_no": refundNo, "reason": "测试退款",
		"amount": map[string]any{"refund": refund, "total": total, "currency": "CNY"},
	}
	if notifyURL != "" {
		b["notify_url"] = notifyURL
	}
	return b
}

func (r *rig) refundV3(tb testing.TB, body map[string]any) v3resp {
	tb.Helper()
	return r.do(tb, v3req{method: http.MethodPost, path: "/v3/refund/domestic/refunds", body: mustJSON(tb, body)})
}

func (r *rig) refundQueryV3(tb testing.TB, refundNo string) v3resp {
	tb.Helper()
	return r.do(tb, v3req{method: http.MethodGet, path: "/v3/refund/domestic/refunds/" + refundNo})
}

// A v3 refund: 200 PROCESSING, the query's status, SUCCESS with
// success_time after the delay, and a REFUND.SUCCESS notification that
// verifies and decrypts (associated_data and original_type "refund").
func TestV3RefundLifecycle(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignPubKey)
	m := newV3Merchant(t, nil)
	v3Paid(t, r, "V3RF-0001")
	resp := r.refundV3(t, refundBody("V3RF-0001", "R3-0001", 400, 1234, m.url()))
	if resp.status != http.StatusOK {
		t.Fatalf("refund: %d %s", resp.status, resp.body)
	}
	body := resp.json(t)
	o, _ := r.sim.Order("V3RF-0001")
	amount, _ := body["amount"].(map[string]any)
	if body["status"] != "PROCESSING" || body["refund_id"] == "" || body["out_refund_no"] != "R3-0001" ||
		body["transaction_id"] != o.TransactionID || body["channel"] != "ORIGINAL" ||
		body["user_received_account"] != "支付用户零钱" || body["create_time"] != "2025-03-01T10:00:00+08:00" ||
		amount["refund"] != 400.0 || amount["total"] != 1234.0 || amount["currency"] != "CNY" || body["success_time"] != nil {
		t.Errorf("refund reply = %s", resp.body)
	}
	if q := r.refundQueryV3(t, "R3-0001").json(t); q["status"] != "PROCESSING" || q["refund_id"] != body["refund_id"] {
		t.Errorf("query while processing = %v", q)
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "the REFUND.SUCCESS notification", func() bool { return len(m.received()) == 1 })
	q := r.refundQueryV3(t, "R3-0001").json(t)
	if q["status"] != "SUCCESS" || q["success_time"] != "2025-03-01T10:00:02+08:00" {
		t.Errorf("query after the delay = %v", q)
	}
	n := openNotification(t, m.received()[0], wxpaysim.V3SignPubKey, r.clock.Now())
	if n.envelope["event_type"] != "REFUND.SUCCESS" || n.resource["original_type"] != "refund" ||
		n.resource["associated_data"] != "refund" || n.envelope["resource_type"] != "encrypt-resource" {
		t.Errorf("notification envelope = %v", n.envelope)
	}
	got := n.txn
	ra, _ := got["amount"].(map[string]any)
	if got["mchid"] != wxpaysim.DemoMchID || got["out_trade_no"] != "V3RF-0001" || got["out_refund_no"] != "R3-0001" ||
		got["refund_id"] != body["refund_id"] || got["transaction_id"] != o.TransactionID ||
		got["refund_status"] != "SUCCESS" || got["success_time"] != "2025-03-01T10:00:02+08:00" ||
		ra["refund"] != 400.0 || ra["total"] != 1234.0 || ra["payer_refund"] != 400.0 {
		t.Errorf("notification resource = %v", got)
	}
	if tx := r.query(t, "V3RF-0001").json(t); tx["trade_state"] != wxpay.TradeRefund || tx["transaction_id"] != o.TransactionID {
		t.Errorf("transaction after the refund = %v", tx)
	}
	if ri, _ := r.sim.Refund("R3-0001"); !ri.Delivered || ri.APIVersion != "v3" {
		t.Errorf("refund = %+v", ri)
	}
}

// The v3 refusals, a repeat, and the faults.
func TestV3RefundRulesAndFaults(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignBoth)
	m := newV3Merchant(t, nil)
	v3Paid(t, r, "V3RF-0002")
	first := r.refundV3(t, refundBody("V3RF-0002", "R3-A", 1000, 1234, ""))
	again := r.refundV3(t, refundBody("V3RF-0002", "R3-A", 1000, 1234, ""))
	if first.status != 200 || again.status != 200 || again.json(t)["refund_id"] != first.json(t)["refund_id"] {
		t.Errorf("repeat: %s then %s", first.body, again.body)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{refundBody("V3RF-0002", "R3-A", 999, 1234, ""), 400, "INVALID_REQUEST"},
		{refundBody("V3RF-0002", "R3-B", 235, 1234, ""), 403, "NOT_ENOUGH"},
		{refundBody("V3RF-0002", "R3-C", 1, 1233, ""), 400, "PARAM_ERROR"},
		{refundBody("V3RF-NONE", "R3-D", 1, 1234, ""), 404, "RESOURCE_NOT_EXISTS"},
		{map[string]any{"out_trade_no": "V3RF-0002", "out_refund_no": "R3-E", "amount": map[string]any{"refund": 1, "total": 1234}}, 400, "PARAM_ERROR"},
	} {
		resp := r.refundV3(t, c.body)
		if resp.status != c.status || resp.code(t) != c.code {
			t.Errorf("refund %v: %d %s, want %d %s", c.body, resp.status, resp.body, c.status, c.code)
		}
	}
	if resp := r.refundQueryV3(t, "R3-NOSUCH"); resp.status != 404 || resp.code(t) != "RESOURCE_NOT_EXISTS" {
		t.Errorf("query of an unknown refund: %d %s", resp.status, resp.body)
	}
	if resp := r.native(t, nativeBody("V3RF-OPEN", m.url(), r.clock.Now())); resp.status != 200 {
		t.Fatal(string(resp.body))
	}
	if resp := r.refundV3(t, refundBody("V3RF-OPEN", "R3-F", 1, 1234, "")); resp.status != 404 || resp.code(t) != "RESOURCE_NOT_EXISTS" {
		t.Errorf("refund of an unpaid order: %d %s", resp.status, resp.body)
	}

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultRefundAbnormal})
	if resp := r.refundV3(t, refundBody("V3RF-0002", "R3-ABN", 100, 1234, m.url())); resp.status != 200 {
		t.Fatal(string(resp.body))
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "REFUND.ABNORMAL", func() bool { return len(m.received()) == 1 })
	n := openNotification(t, m.received()[0], wxpaysim.V3SignBoth, r.clock.Now())
	if n.envelope["event_type"] != "REFUND.ABNORMAL" || n.txn["refund_status"] != "ABNORMAL" || n.txn["success_time"] != nil {
		t.Errorf("abnormal notification = %v %v", n.envelope, n.txn)
	}
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultRefundClosed})
	r.refundV3(t, refundBody("V3RF-0002", "R3-CLO", 134, 1234, m.url()))
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "REFUND.CLOSED", func() bool { return len(m.received()) == 2 })
	if n := openNotification(t, m.received()[1], wxpaysim.V3SignBoth, r.clock.Now()); n.envelope["event_type"] != "REFUND.CLOSED" {
		t.Errorf("closed notification = %v", n.envelope)
	}
	if q := r.refundQueryV3(t, "R3-CLO").json(t); q["status"] != "CLOSED" {
		t.Errorf("query of the closed refund = %v", q)
	}

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "refund"})
	if resp := r.refundV3(t, refundBody("V3RF-0002", "R3-SYS", 134, 1234, "")); resp.status != 500 || resp.code(t) != "SYSTEM_ERROR" {
		t.Fatalf("with the fault: %d %s", resp.status, resp.body)
	}
	made, ok := r.sim.Refund("R3-SYS")
	retry := r.refundV3(t, refundBody("V3RF-0002", "R3-SYS", 134, 1234, ""))
	if !ok || retry.status != 200 || retry.json(t)["refund_id"] != made.RefundID {
		t.Errorf("retry after SYSTEM_ERROR: %d %s, made %+v %v", retry.status, retry.body, made, ok)
	}
}
