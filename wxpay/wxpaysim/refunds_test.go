package wxpaysim_test

import (
	"bytes"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// refundFields is a valid /secapi/pay/refund request, unsigned: fee of the
// 1234 fen of an order placed by orderReq.
func refundFields(no, refundNo string, fee int64, notifyURL string) wxpay.Params {
	p := wxpay.Params{
		"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(),
		"out_trade_no": no, "out_refund_no": refundNo, "total_fee": "1234",
		"refund_fee": strconv.FormatInt(fee, 10), "refund_desc": "测试退款",
	}
	if notifyURL != "" {
		p["notify_url"] = notifyURL
	}
	return p
}

func (r *rig) refundV2(tb testing.TB, p wxpay.Params) wxpay.Params {
	tb.Helper()
	return r.signed(tb, "/secapi/pay/refund", p)
}

func (r *rig) refundQuery(tb testing.TB, key, value string) wxpay.Params {
	tb.Helper()
	return r.signed(tb, "/pay/refundquery", wxpay.Params{
		"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(), key: value,
	})
}

// errCode is a reply's err_code, "" for a full success.
func errCode(tb testing.TB, p wxpay.Params) string {
	tb.Helper()
	if p["return_code"] != "SUCCESS" {
		tb.Fatalf("return_code FAIL: %v", p)
	}
	if p["result_code"] == "SUCCESS" {
		return ""
	}
	return p["err_code"]
}

// settleRefunds waits for the refund timer of d and fires it.
func (r *rig) settleRefunds(tb testing.TB, d time.Duration) {
	tb.Helper()
	eventually(tb, "the refund timer", func() bool {
		for _, w := range r.clock.Waiting() {
			if w == d {
				return true
			}
		}
		return false
	})
	r.clock.Advance(d)
}

func refundStatus(r *rig, no string) string {
	info, _ := r.sim.Refund(no)
	return info.Status
}

// decryptReqInfo undoes req_info with crypto/aes directly, block by block
// (ECB), so that the test does not share the simulator's code.
func decryptReqInfo(tb testing.TB, reqInfo, apiKey string) wxpay.Params {
	tb.Helper()
	ct, err := base64.StdEncoding.DecodeString(reqInfo)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		tb.Fatalf("req_info %q: %v", reqInfo, err)
	}
	sum := md5.Sum([]byte(apiKey))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		tb.Fatal(err)
	}
	pt := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(pt[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(pt[len(pt)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		tb.Fatalf("bad PKCS#7 padding: %q", pt)
	}
	pt = pt[:len(pt)-pad]
	if !bytes.HasPrefix(pt, []byte("<root>")) || !bytes.HasSuffix(pt, []byte("</root>")) {
		tb.Fatalf("plaintext is not a <root> document: %q", pt)
	}
	doc := append(append([]byte("<xml>"), pt[len("<root>"):len(pt)-len("</root>")]...), "</xml>"...)
	p, err := wxpay.Decode(doc)
	if err != nil {
		tb.Fatalf("plaintext %q: %v", pt, err)
	}
	return p
}

// A v2 refund: PROCESSING when made, SUCCESS after the delay, the order
// then REFUND, refundquery's indexed fields, and a notification whose
// req_info decrypts with the md5 of the API key.
func TestRefundV2Lifecycle(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	rm := newMerchant(t, nil)
	paidOrder(t, r, "RF-000001", m)
	rep := r.refundV2(t, refundFields("RF-000001", "R-0001", 500, rm.ts.URL+"/wxpay/refund-notify"))
	if c := errCode(t, rep); c != "" {
		t.Fatalf("refund: %s %v", c, rep)
	}
	o, _ := r.sim.Order("RF-000001")
	if rep["refund_id"] == "" || rep["refund_fee"] != "500" || rep["total_fee"] != "1234" ||
		rep["out_refund_no"] != "R-0001" || rep["transaction_id"] != o.TransactionID {
		t.Errorf("refund reply = %v", rep)
	}
	q := r.refundQuery(t, "out_refund_no", "R-0001")
	if errCode(t, q) != "" || q["refund_status_0"] != "PROCESSING" || q["refund_count"] != "1" || q["refund_success_time_0"] != "" {
		t.Errorf("refundquery while processing = %v", q)
	}
	if o.TradeState != wxpay.TradeSuccess {
		t.Errorf("trade_state while the refund processes = %s, want SUCCESS", o.TradeState)
	}

	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "the refund notification", func() bool { return len(rm.received()) == 1 })
	q = r.refundQuery(t, "out_refund_no", "R-0001")
	want := map[string]string{
		"refund_count": "1", "out_refund_no_0": "R-0001", "refund_id_0": rep["refund_id"], "refund_fee_0": "500",
		"refund_status_0": "SUCCESS", "refund_success_time_0": "2025-03-01 10:00:02", "out_trade_no": "RF-000001",
		"total_fee": "1234", "transaction_id": o.TransactionID,
	}
	for k, v := range want {
		if q[k] != v {
			t.Errorf("refundquery %s = %q, want %q", k, q[k], v)
		}
	}
	if o, _ := r.sim.Order("RF-000001"); o.TradeState != wxpay.TradeRefund {
		t.Errorf("trade_state after the refund = %s, want REFUND", o.TradeState)
	}
	if oq := r.signed(t, "/pay/orderquery", wxpay.Params{"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
		"nonce_str": wxpay.NewNonce(), "out_trade_no": "RF-000001"}); oq["trade_state"] != "REFUND" || oq["transaction_id"] == "" {
		t.Errorf("orderquery after the refund = %v", oq)
	}

	n := rm.received()[0]
	if n["return_code"] != "SUCCESS" || n["appid"] != wxpaysim.DemoAppID || n["mch_id"] != wxpaysim.DemoMchID ||
		n["sign"] != "" || n["nonce_str"] == "" {
		t.Errorf("refund notification envelope = %v", n)
	}
	info := decryptReqInfo(t, n["req_info"], wxpaysim.DemoAPIKey)
	for k, v := range map[string]string{
		"out_refund_no": "R-0001", "out_trade_no": "RF-000001", "refund_id": rep["refund_id"],
		"transaction_id": o.TransactionID, "total_fee": "1234", "refund_fee": "500", "settlement_refund_fee": "500",
		"refund_status": "SUCCESS", "success_time": "2025-03-01 10:00:02", "refund_recv_accout": "支付用户的零钱",
		"refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_request_source": "API",
	} {
		if info[k] != v {
			t.Errorf("req_info %s = %q, want %q", k, info[k], v)
		}
	}
	// The merchant has the notification before the simulator has its reply
	// and records the attempt, and the payment's own attempt may be
	// recorded after it: look for the refund's, and wait.
	eventually(t, "the refund's delivery recorded as accepted", func() bool {
		for _, d := range r.deliveriesOf("RF-000001") {
			if d.OutRefundNo == "R-0001" && d.Accepted {
				ri, _ := r.sim.Refund("R-0001")
				return ri.Delivered && ri.Status == wxpay.RefundSuccess
			}
		}
		return false
	})
}

// The refund rules: a repeat is the same refund, a changed repeat is
// refused, never beyond what was paid, total_fee must be the order's, an
// unpaid order has nothing to refund.
func TestRefundV2Rules(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	paidOrder(t, r, "RF-RULES1", m)
	first := r.refundV2(t, refundFields("RF-RULES1", "R-A", 1000, ""))
	again := r.refundV2(t, refundFields("RF-RULES1", "R-A", 1000, ""))
	if errCode(t, first) != "" || again["refund_id"] != first["refund_id"] || errCode(t, again) != "" {
		t.Errorf("repeat = %v, want the refund %v", again, first)
	}
	if c := errCode(t, r.refundV2(t, refundFields("RF-RULES1", "R-A", 999, ""))); c != wxpay.CodeInvalidRequest {
		t.Errorf("same out_refund_no, other fee: %s, want INVALID_REQUEST", c)
	}
	if c := errCode(t, r.refundV2(t, refundFields("RF-RULES1", "R-B", 235, ""))); c != wxpaysim.CodeNotEnough {
		t.Errorf("235 of 234 left: %s, want NOTENOUGH", c)
	}
	wrongTotal := refundFields("RF-RULES1", "R-C", 1, "")
	wrongTotal["total_fee"] = "1233"
	if c := errCode(t, r.refundV2(t, wrongTotal)); c != wxpay.CodeInvalidRequest {
		t.Errorf("wrong total_fee: %s, want INVALID_REQUEST", c)
	}
	if c := errCode(t, r.refundV2(t, refundFields("RF-RULES1", "R-D", 234, ""))); c != "" {
		t.Errorf("the rest: %s", c)
	}
	place(t, r.client(t), orderReq("RF-UNPAID", m.url()))
	if c := errCode(t, r.refundV2(t, refundFields("RF-UNPAID", "R-E", 1, ""))); c != wxpay.CodeOrderNotExist {
		t.Errorf("unpaid order: %s, want ORDERNOTEXIST", c)
	}
	if c := errCode(t, r.refundV2(t, refundFields("RF-NOSUCH", "R-F", 1, ""))); c != wxpay.CodeOrderNotExist {
		t.Errorf("unknown order: %s, want ORDERNOTEXIST", c)
	}
	if c := errCode(t, r.refundQuery(t, "out_refund_no", "R-NOSUCH")); c != "REFUNDNOTEXIST" {
		t.Errorf("refundquery of an unknown refund: %s", c)
	}
	q := r.refundQuery(t, "out_trade_no", "RF-RULES1")
	if q["refund_count"] != "2" || q["out_refund_no_0"] != "R-A" || q["out_refund_no_1"] != "R-D" || q["refund_fee"] != "1234" {
		t.Errorf("refundquery by order = %v", q)
	}
	missing := refundFields("RF-RULES1", "R-G", 1, "")
	delete(missing, "refund_fee")
	if c := errCode(t, r.refundV2(t, missing)); c != "LACK_PARAMS" {
		t.Errorf("no refund_fee: %s", c)
	}
	bad := refundFields("RF-RULES1", "R-H", 1, "")
	bad["refund_fee"] = "0.01"
	if c := errCode(t, r.refundV2(t, bad)); c != wxpay.CodeInvalidRequest {
		t.Errorf("refund_fee in yuan: %s", c)
	}
}

// Concurrent refunds never add up to more than was paid, and concurrent
// repeats of one out_refund_no make one refund.
func TestRefundConcurrentNeverExceedsPayment(t *testing.T) {
	r := manualRig(t)
	paidOrder(t, r, "RF-CONC01", newMerchant(t, nil))
	var wg sync.WaitGroup
	codes := make([]string, 30)
	for i := range codes {
		wg.Go(func() {
			no := fmt.Sprintf("R-C%02d", i)
			if i >= 20 {
				no = "R-SAME" // ten repeats of one refund
			}
			codes[i] = errCode(t, r.refundV2(t, refundFields("RF-CONC01", no, 100, "")))
		})
	}
	wg.Wait()
	ok, notEnough := 0, 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case wxpaysim.CodeNotEnough:
			notEnough++
		default:
			t.Errorf("unexpected %s", c)
		}
	}
	var sum int64
	for _, ri := range r.sim.Refunds() {
		sum += ri.RefundFee
	}
	if len(r.sim.Refunds()) != 12 || sum != 1200 {
		t.Errorf("%d refunds of %d fen (ok %d, NOTENOUGH %d), want 12 of 1200 in all", len(r.sim.Refunds()), sum, ok, notEnough)
	}
}

// Faults: ABNORMAL (v2 CHANGE) and CLOSED (v2 REFUNDCLOSE, its amount
// refundable again), and SYSTEMERROR, after which the refund exists and a
// retry with the same out_refund_no finds it.
func TestRefundV2Faults(t *testing.T) {
	r := manualRig(t)
	rm := newMerchant(t, nil)
	paidOrder(t, r, "RF-FAULT1", newMerchant(t, nil))
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultRefundAbnormal})
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultRefundClosed})
	if c := errCode(t, r.refundV2(t, refundFields("RF-FAULT1", "R-ABN", 1000, rm.url()))); c != "" {
		t.Fatal(c)
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "ABNORMAL", func() bool { return refundStatus(r, "R-ABN") == wxpay.RefundAbnormal })
	if q := r.refundQuery(t, "out_refund_no", "R-ABN"); q["refund_status_0"] != "CHANGE" {
		t.Errorf("refundquery = %v, want CHANGE", q)
	}
	eventually(t, "the CHANGE notification", func() bool { return len(rm.received()) == 1 })
	if info := decryptReqInfo(t, rm.received()[0]["req_info"], wxpaysim.DemoAPIKey); info["refund_status"] != "CHANGE" || info["success_time"] != "" {
		t.Errorf("req_info = %v", info)
	}
	if o, _ := r.sim.Order("RF-FAULT1"); o.TradeState != wxpay.TradeSuccess {
		t.Errorf("trade_state after an ABNORMAL refund = %s, want SUCCESS", o.TradeState)
	}
	// ABNORMAL keeps its amount: 234 left.
	if c := errCode(t, r.refundV2(t, refundFields("RF-FAULT1", "R-CLO", 234, rm.url()))); c != "" {
		t.Fatal(c)
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "CLOSED", func() bool { return refundStatus(r, "R-CLO") == wxpay.RefundClosed })
	if q := r.refundQuery(t, "out_refund_no", "R-CLO"); q["refund_status_0"] != "REFUNDCLOSE" {
		t.Errorf("refundquery = %v, want REFUNDCLOSE", q)
	}
	// CLOSED gives its 234 back.
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "refund"})
	if c := errCode(t, r.refundV2(t, refundFields("RF-FAULT1", "R-SYS", 234, ""))); c != wxpay.CodeSystemError {
		t.Fatalf("with the fault: %s, want SYSTEMERROR", c)
	}
	made, ok := r.sim.Refund("R-SYS")
	if !ok {
		t.Fatal("SYSTEMERROR on refund: the refund was not made")
	}
	retry := r.refundV2(t, refundFields("RF-FAULT1", "R-SYS", 234, ""))
	if errCode(t, retry) != "" || retry["refund_id"] != made.RefundID {
		t.Errorf("retry after SYSTEMERROR = %v, want refund_id %s", retry, made.RefundID)
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "SUCCESS", func() bool { return refundStatus(r, "R-SYS") == wxpay.RefundSuccess })
}

// The delay is Options.RefundDelay over Speedup; a negative one ends
// refunds at once.
func TestRefundDelay(t *testing.T) {
	r := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), RefundDelay: 10 * time.Second, Speedup: 5})
	paidOrder(t, r, "RF-DELAY1", newMerchant(t, nil))
	errCode(t, r.refundV2(t, refundFields("RF-DELAY1", "R-DL", 1, "")))
	r.settleRefunds(t, 2*time.Second)
	eventually(t, "SUCCESS", func() bool { return refundStatus(r, "R-DL") == wxpay.RefundSuccess })

	now := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), RefundDelay: -1})
	paidOrder(t, now, "RF-DELAY2", newMerchant(t, nil))
	errCode(t, now.refundV2(t, refundFields("RF-DELAY2", "R-NOW", 1, "")))
	eventually(t, "SUCCESS at once", func() bool { return refundStatus(now, "R-NOW") == wxpay.RefundSuccess })
}

// EncryptReqInfo matches a vector made with Python's cryptography package:
//
//	python3 -c 'import hashlib,base64
//	from cryptography.hazmat.primitives.ciphers import Cipher,algorithms,modes
//	from cryptography.hazmat.primitives import padding
//	k=hashlib.md5(b"wxcheckout0demo0key0not0a0secret").hexdigest().encode()
//	pt=b"<root><out_refund_no><![CDATA[R-0001]]></out_refund_no><refund_fee>500</refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status></root>"
//	p=padding.PKCS7(128).padder();d=p.update(pt)+p.finalize()
//	e=Cipher(algorithms.AES(k),modes.ECB()).encryptor()
//	print(base64.b64encode(e.update(d)+e.finalize()).decode())'
func TestEncryptReqInfoVector(t *testing.T) {
	const pt = "<root><out_refund_no><![CDATA[R-0001]]></out_refund_no><refund_fee>500</refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status></root>"
	const want = "TgA96KgH0Qyaf8eoGioLPK9A8Ml+JRHruNbPMCSdri7Q9GRIYw8ULvNzmeSP/p7JSqsyDkzIwc8cbEMVpCt03bhLp/nmNkS6j56yAfMoh6MKg6HAg4jEMkdY7ZRv+BD65Zi+qaUMy9T2PXmhJYII1fw676G7OqmiljCvaFKmTaQNQJPaEpoKliPG0YvC0ONQ"
	if got := wxpaysim.EncryptReqInfo([]byte(pt), wxpaysim.DemoAPIKey); got != want {
		t.Errorf("EncryptReqInfo = %s, want %s", got, want)
	}
}

// Refunds are kept in the state file with their order; one still
// PROCESSING at a restart ends after it.
func TestRestartKeepsRefunds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	first := newRig(t, wxpaysim.Options{State: fileState(t, path), RefundDelay: time.Hour})
	paidOrder(t, first, "RF-KEEP01", newMerchant(t, nil))
	rep := first.refundV2(t, refundFields("RF-KEEP01", "R-KEEP", 600, ""))
	first.sim.Close()

	second := newRig(t, wxpaysim.Options{State: fileState(t, path), RefundDelay: -1})
	if ri, ok := second.sim.Refund("R-KEEP"); !ok || ri.RefundID != rep["refund_id"] || ri.RefundFee != 600 {
		t.Fatalf("after restart: %+v %v", ri, ok)
	}
	eventually(t, "the resumed refund", func() bool { return refundStatus(second, "R-KEEP") == wxpay.RefundSuccess })
	if c := errCode(t, second.refundV2(t, refundFields("RF-KEEP01", "R-MORE", 635, ""))); c != wxpaysim.CodeNotEnough {
		t.Errorf("after restart, 635 of 634 left: %s, want NOTENOUGH", c)
	}
	if again := second.refundV2(t, refundFields("RF-KEEP01", "R-KEEP", 600, "")); again["refund_id"] != rep["refund_id"] {
		t.Errorf("repeat after restart = %v", again)
	}
}

// The refund faults go through POST /control, and GET /control/refunds
// lists the refunds.
func TestRefundControl(t *testing.T) {
	r := manualRig(t)
	paidOrder(t, r, "RF-CTRL01", newMerchant(t, nil))
	if status, body := postJSON(t, r.ts.URL+"/control", `{"fault":"refund_closed"}`); status != 200 {
		t.Fatalf("POST /control: %d %s", status, body)
	}
	if status, body := postJSON(t, r.ts.URL+"/control", `{"fault":"systemerror","endpoint":"refundquery"}`); status != 200 {
		t.Fatalf("POST /control: %d %s", status, body)
	}
	errCode(t, r.refundV2(t, refundFields("RF-CTRL01", "R-CTRL", 10, "")))
	if c := errCode(t, r.refundQuery(t, "out_refund_no", "R-CTRL")); c != wxpay.CodeSystemError {
		t.Errorf("refundquery with the fault: %s", c)
	}
	r.settleRefunds(t, wxpaysim.DefaultRefundDelay)
	eventually(t, "CLOSED", func() bool { return refundStatus(r, "R-CTRL") == wxpay.RefundClosed })
	_, body := get(t, r.ts.URL+"/control/refunds")
	for _, want := range []string{`"out_refund_no":"R-CTRL"`, `"status":"CLOSED"`, `"out_trade_no":"RF-CTRL01"`, `"refund_fee":10`} {
		contains(t, body, want)
	}
}
