package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

const successReply = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"

// notification builds a paid notification for o; edit runs before signing.
func notification(t *testing.T, o *models.Order, edit func(wxpay.Params)) []byte {
	t.Helper()
	p := wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
		"nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "result_code": "SUCCESS", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"is_subscribe": "N", "trade_type": "NATIVE", "bank_type": "CMC", "total_fee": strconv.FormatInt(int64(o.TotalFee), 10),
		"cash_fee": strconv.FormatInt(int64(o.TotalFee), 10), "fee_type": "CNY", "transaction_id": "4200000001202611221234567890",
		"out_trade_no": o.OutTradeNo, "time_end": "20261122180500", "coupon_fee_0": "",
	}
	if edit != nil {
		edit(p)
	}
	sign, err := wxpay.Sign(p, wxpaysim.DemoAPIKey, wxpay.SignHMACSHA256)
	if err != nil {
		t.Fatal(err)
	}
	p["sign"] = sign
	return wxpay.Encode(p)
}

func postNotify(t *testing.T, r *testrig.Rig, body []byte, contentType string) (int, string) {
	t.Helper()
	resp, err := http.Post(r.App.URL+"/wxpay/notify", contentType, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, testrig.ReadAll(t, resp)
}

type snapshot struct {
	Status        models.OrderStatus
	TransactionID string
	Flags         string
	Paid          bool
}

func snap(o *models.Order) snapshot {
	return snapshot{o.Status, o.TransactionID, o.Flags, o.PaidAt != nil}
}

func TestNotifyRefusalsChangeNothing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 2)
	other := r.PlaceOrder(t, "PENNY", 1)
	resign := func(p wxpay.Params) []byte { // sign with the wrong key
		s, _ := wxpay.Sign(p, "0123456789abcdef0123456789abcdef", wxpay.SignHMACSHA256)
		p["sign"] = s
		return wxpay.Encode(p)
	}
	good := notification(t, o, nil)
	tests := []struct {
		name       string
		body       []byte
		ctype      string
		wantStatus int
		wantReason string
	}{
		{"bad sign", []byte(strings.Replace(string(good), "<bank_type><![CDATA[CMC]]>", "<bank_type><![CDATA[ICBC]]>", 1)), "text/xml", 400, "invalid sign"},
		{"wrong key", resign(wxpay.Params{"return_code": "SUCCESS", "appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
			"result_code": "SUCCESS", "out_trade_no": o.OutTradeNo, "total_fee": "11600", "transaction_id": "1", "time_end": "20261122180500"}), "text/xml", 400, "invalid sign"},
		{"missing sign", []byte(strings.Split(string(good), "<sign>")[0] + "</xml>"), "text/xml", 400, "invalid sign"},
		{"wrong amount", notification(t, o, func(p wxpay.Params) { p["total_fee"] = "1" }), "text/xml", 400, "amount mismatch"},
		{"amount of another order", notification(t, o, func(p wxpay.Params) { p["total_fee"] = strconv.FormatInt(int64(other.TotalFee), 10) }), "text/xml", 400, "amount mismatch"},
		{"wrong appid", notification(t, o, func(p wxpay.Params) { p["appid"] = "wx0000000000000000" }), "text/xml", 400, "appid or mch_id mismatch"},
		{"wrong mch_id", notification(t, o, func(p wxpay.Params) { p["mch_id"] = "1230000109" }), "text/xml", 400, "appid or mch_id mismatch"},
		{"unknown order", notification(t, o, func(p wxpay.Params) { p["out_trade_no"] = "20261122000000000000NOSUCH1" }), "text/xml", 400, "unknown out_trade_no"},
		{"malformed XML", []byte("<xml><return_code>SUCCESS</return_code>"), "text/xml", 400, "malformed XML"},
		{"nested element", []byte("<xml><return_code><a>SUCCESS</a></return_code></xml>"), "text/xml", 400, "malformed XML"},
		{"repeated field", append(good[:len(good)-6:len(good)-6], []byte("<total_fee>1</total_fee></xml>")...), "text/xml", 400, "malformed XML"},
		{"XXE", []byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>`), "text/xml", 400, "malformed XML"},
		{"billion laughs", []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>`), "text/xml", 400, "malformed XML"},
		{"JSON body", []byte(`{"return_code":"SUCCESS","out_trade_no":"` + o.OutTradeNo + `"}`), "application/json", 400, "malformed XML"},
		{"oversized body", []byte("<xml><a>" + strings.Repeat("x", 70<<10) + "</a></xml>"), "text/xml", 413, "body too large"},
		{"return_code FAIL", []byte("<xml><return_code>FAIL</return_code><return_msg>oops</return_msg></xml>"), "text/xml", 400, "return_code is not SUCCESS"},
	}
	before, beforeOther := snap(r.Order(t, o.OutTradeNo)), snap(r.Order(t, other.OutTradeNo))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postNotify(t, r, tt.body, tt.ctype)
			want := string(wxpay.FailReply(tt.wantReason))
			if status != tt.wantStatus || body != want {
				t.Errorf("reply = %d %q, want %d %q", status, body, tt.wantStatus, want)
			}
			if got := snap(r.Order(t, o.OutTradeNo)); got != before {
				t.Errorf("order changed: %+v, was %+v", got, before)
			}
			if got := snap(r.Order(t, other.OutTradeNo)); got != beforeOther {
				t.Errorf("other order changed: %+v, was %+v", got, beforeOther)
			}
		})
	}
}

func TestNotifyResultFailIsAcknowledgedAndLeavesOrderUnpaid(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	body := notification(t, o, func(p wxpay.Params) {
		p["result_code"], p["err_code"], p["err_code_des"] = "FAIL", "NOTENOUGH", "余额不足"
		delete(p, "transaction_id")
	})
	status, reply := postNotify(t, r, body, "text/xml")
	if status != 200 || reply != successReply {
		t.Errorf("reply = %d %q, want 200 SUCCESS", status, reply)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusNotPay || got.PaidAt != nil {
		t.Errorf("order = %s paid_at %v, want NOTPAY unpaid", got.Status, got.PaidAt)
	}
}

func TestNotifyConcurrentDuplicatesApplyOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 3)
	sub, cancel := r.Svc.Broker().Subscribe(o.OutTradeNo)
	defer cancel()
	body := notification(t, o, nil)
	const n = 50
	var wg sync.WaitGroup
	replies := make([]string, n)
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := http.Post(r.App.URL+"/wxpay/notify", "text/xml", strings.NewReader(string(body)))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i], replies[i] = resp.StatusCode, testrig.ReadAll(t, resp)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if statuses[i] != 200 || replies[i] != successReply {
			t.Fatalf("reply %d = %d %q, want 200 SUCCESS", i, statuses[i], replies[i])
		}
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID != "4200000001202611221234567890" || got.PaidAt == nil {
		t.Fatalf("order = %+v, want PAID with the transaction", snap(got))
	}
	evs, err := r.Svc.Events(t.Context(), got)
	if err != nil {
		t.Fatal(err)
	}
	transitions, notifies := 0, 0
	for _, ev := range evs {
		switch {
		case ev.Kind == models.EventStatus && strings.Contains(ev.Summary, "→ PAID"):
			transitions++
		case ev.Kind == models.EventNotify:
			notifies++
		}
	}
	if transitions != 1 || notifies != n {
		t.Errorf("timeline has %d PAID transitions and %d notifications, want 1 and %d", transitions, notifies, n)
	}
	if s := <-sub; s != models.StatusPaid {
		t.Errorf("broker published %s, want PAID", s)
	}
	select {
	case s := <-sub:
		t.Errorf("broker published a second change %s", s)
	default:
	}
}

func TestNotifyAfterCloseIsRecordedAndFlagged(t *testing.T) {
	r := testrig.New(t, testrig.Options{MinCloseAge: -1})
	o := r.PlaceOrder(t, "COFFEE", 1)
	r.Clock.Advance(6 * 60e9)
	if _, err := r.Svc.Close(t.Context(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusClosed {
		t.Fatalf("status = %s, want CLOSED", got.Status)
	}
	status, reply := postNotify(t, r, notification(t, o, nil), "text/xml")
	if status != 200 || reply != successReply {
		t.Errorf("reply = %d %q", status, reply)
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || !got.HasFlag(models.FlagPaidAfterClose) {
		t.Errorf("order = %+v, want PAID flagged %s", snap(got), models.FlagPaidAfterClose)
	}
}

// Refused notifications that name no order of ours are logged, not stored:
// otherwise anyone could grow the database through the notify URL.
func TestNotifyGarbageIsNotStored(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	before := r.CountRows(t, "order_events")
	for i := range 20 {
		postNotify(t, r, []byte(fmt.Sprintf("<xml><out_trade_no>20261122000000000000GARB%04d</out_trade_no></xml>", i)), "text/xml")
		postNotify(t, r, notification(t, o, func(p wxpay.Params) { p["out_trade_no"] = fmt.Sprintf("20261122000000000000NOSU%04d", i) }), "text/xml")
	}
	if n := r.CountRows(t, "order_events"); n != before {
		t.Errorf("%d events stored after 40 refused notifications for unknown orders, want %d", n, before)
	}
}

func postNotifyFrom(t *testing.T, r *testrig.Rig, body []byte, ip string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.App.URL+"/wxpay/notify", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "text/xml")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, testrig.ReadAll(t, resp)
}

func TestNotifyRefusalsAreLimitedPerClient(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	forged := notification(t, o, func(p wxpay.Params) { p["total_fee"] = "1" }) // names our order: kept in its timeline
	const attacker = "203.0.113.66"
	for i := range 29 {
		if code, _ := postNotifyFrom(t, r, forged, attacker); code != 400 {
			t.Fatalf("refusal %d = %d, want 400", i+1, code)
		}
	}
	paid := notification(t, o, nil)
	for i := range 5 { // a genuine notification and its duplicates are never counted
		if code, reply := postNotifyFrom(t, r, paid, attacker); code != 200 || reply != successReply {
			t.Fatalf("genuine notification %d = %d %s, want 200 SUCCESS", i+1, code, reply)
		}
	}
	if code, _ := postNotifyFrom(t, r, forged, attacker); code != 400 {
		t.Fatalf("30th refusal = %d, want 400", code)
	}
	events := r.CountRows(t, "order_events")
	code, reply := postNotifyFrom(t, r, forged, attacker)
	if want := string(wxpay.FailReply("too many refused notifications")); code != http.StatusTooManyRequests || reply != want {
		t.Errorf("31st refusal = %d %q, want 429 %q", code, reply, want)
	}
	if n := r.CountRows(t, "order_events"); n != events {
		t.Errorf("a notification over the limit was stored (%d events, want %d)", n, events)
	}
	if code, _ := postNotifyFrom(t, r, forged, "203.0.113.67"); code != 400 {
		t.Errorf("another client's refusal = %d, want 400 (not limited)", code)
	}
	r.Clock.Advance(2 * time.Second) // 30 a minute: one more after 2 s
	if code, _ := postNotifyFrom(t, r, forged, attacker); code != 400 {
		t.Errorf("refusal 2 s later = %d, want 400", code)
	}
}

// logBuffer collects log lines from concurrent requests.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestNotifyLogsCutAttackerText(t *testing.T) {
	var logs logBuffer
	r := testrig.New(t, testrig.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	o := r.PlaceOrder(t, "COFFEE", 1)
	long := strings.Repeat("A", 5000)
	tests := []struct {
		name string
		body []byte
	}{
		{"return_msg", []byte("<xml><return_code>FAIL</return_code><return_msg>" + long + "</return_msg></xml>")},
		{"repeated field name", []byte("<xml><" + long + ">1</" + long + "><" + long + ">2</" + long + "></xml>")},
		{"foreign appid", notification(t, o, func(p wxpay.Params) { p["appid"] = long })},
		{"bad time_end", notification(t, o, func(p wxpay.Params) { p["time_end"] = long })},
	}
	for _, tt := range tests {
		if code, _ := postNotify(t, r, tt.body, "text/xml"); code != 400 {
			t.Errorf("%s: notify = %d, want 400", tt.name, code)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, strings.Repeat("A", 200)) {
			t.Errorf("log line carries %d bytes of attacker text: %.200s…", len(line), line)
		}
	}
	if !strings.Contains(logs.String(), "notification refused") {
		t.Error("refusals are not logged at all")
	}
}
