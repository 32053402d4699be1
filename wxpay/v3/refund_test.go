package wxpayv3_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

const refundNo = "R20241123000001"

// paidOrder places errNo for total fen at the fake and pays it.
func paidOrder(tb testing.TB, f *fakeWeChat, c *wxpayv3.Client, total int64) {
	tb.Helper()
	if err := nativeCall(total)(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
	f.pay(errNo)
}

func refundOf(fee int64) wxpay.RefundRequest {
	return wxpay.RefundRequest{OutTradeNo: errNo, OutRefundNo: refundNo, TotalFee: 8800, RefundFee: fee,
		Reason: "商品已售完", NotifyURL: testNotifyURL}
}

func TestRefund(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	paidOrder(t, f, c, 8800)
	ctx := context.Background()
	resp, err := c.Refund(ctx, refundOf(100))
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Refund
	if r.RefundID == "" || r.OutRefundNo != refundNo || r.OutTradeNo != errNo || r.Status != wxpay.RefundProcessing ||
		r.RefundFee != 100 || r.Total != 8800 || r.TransactionID != "4200002345202411230000000001" || !r.SuccessTime.IsZero() {
		t.Fatalf("Refund = %+v", r)
	}
	if r.Fields["amount.settlement_refund"] != "100" || r.Fields["channel"] != "ORIGINAL" {
		t.Errorf("Fields = %v", r.Fields)
	}
	x := resp.Exchange
	if x == nil || x.Op != "refund" || x.URL != f.srv.URL+"/v3/refund/domestic/refunds" || x.HTTPStatus != 200 || len(x.Response) == 0 {
		t.Fatalf("Exchange = %+v", x)
	}
	seen := f.requests()
	last := seen[len(seen)-1]
	want := `{"out_trade_no":"` + errNo + `","out_refund_no":"` + refundNo + `","reason":"商品已售完","notify_url":"` +
		testNotifyURL + `","amount":{"refund":100,"total":8800,"currency":"CNY"}}`
	if last.method != http.MethodPost || string(last.body) != want || string(x.Request) != want {
		t.Fatalf("sent %s %s\nwant %s", last.method, last.body, want)
	}

	// An unknown outcome is resolved by sending the same refund again.
	again, err := c.Refund(ctx, refundOf(100))
	if err != nil || again.RefundID != r.RefundID {
		t.Fatalf("again: %+v, %v; want refund_id %s", again, err, r.RefundID)
	}
	// WeChat finishes it; a query tells.
	f.finishRefund(refundNo, "SUCCESS")
	q, err := c.QueryRefund(ctx, refundNo)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != wxpay.RefundSuccess || q.RefundID != r.RefundID || q.RefundFee != 100 ||
		!q.SuccessTime.Equal(time.Date(2024, 11, 23, 8, 0, 5, 0, time.UTC)) || q.SuccessTime.Format("-07:00") != "+08:00" {
		t.Fatalf("QueryRefund = %+v", q.Refund)
	}
	if q.Exchange.Op != "refundquery" || q.Exchange.URL != f.srv.URL+"/v3/refund/domestic/refunds/"+refundNo || q.Exchange.Request != nil {
		t.Fatalf("query Exchange = %+v", q.Exchange)
	}
	if last := f.requests()[len(f.requests())-1]; last.method != http.MethodGet || len(last.body) != 0 {
		t.Fatalf("query sent %s with body %q", last.method, last.body)
	}
}

func TestRefundOmitsEmptyReasonAndDefaultsNotifyURL(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	paidOrder(t, f, c, 8800)
	r := refundOf(8800)
	r.Reason, r.NotifyURL = "", ""
	if _, err := c.Refund(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	seen := f.requests()
	got := string(seen[len(seen)-1].body)
	if strings.Contains(got, "reason") || !strings.Contains(got, `"notify_url":"`+testNotifyURL+`"`) {
		t.Fatalf("sent %s", got)
	}
}

func TestQueryRefundEachState(t *testing.T) {
	for _, status := range []string{wxpay.RefundSuccess, wxpay.RefundClosed, wxpay.RefundAbnormal} {
		t.Run(status, func(t *testing.T) {
			f := newFake(t)
			c := newClient(t, f.keys.config(f.srv.URL))
			paidOrder(t, f, c, 8800)
			if _, err := c.Refund(context.Background(), refundOf(8800)); err != nil {
				t.Fatal(err)
			}
			f.finishRefund(refundNo, status)
			q, err := c.QueryRefund(context.Background(), refundNo)
			if err != nil || q.Status != status || q.SuccessTime.IsZero() != (status != wxpay.RefundSuccess) {
				t.Fatalf("QueryRefund = %+v, %v", q, err)
			}
		})
	}
}

func TestRefundValidatesBeforeSending(t *testing.T) {
	f := newFake(t)
	cfg := f.keys.config(f.srv.URL)
	noDefault := cfg
	noDefault.NotifyURL = ""
	tests := []struct {
		name string
		cfg  wxpayv3.Config
		edit func(r *wxpay.RefundRequest)
	}{
		{"bad out_trade_no", cfg, func(r *wxpay.RefundRequest) { r.OutTradeNo = "abc" }},
		{"no out_refund_no", cfg, func(r *wxpay.RefundRequest) { r.OutRefundNo = "" }},
		{"out_refund_no of 65", cfg, func(r *wxpay.RefundRequest) { r.OutRefundNo = strings.Repeat("R", 65) }},
		{"out_refund_no with a space", cfg, func(r *wxpay.RefundRequest) { r.OutRefundNo = "R 1" }},
		{"refund 0", cfg, func(r *wxpay.RefundRequest) { r.RefundFee = 0 }},
		{"refund negative", cfg, func(r *wxpay.RefundRequest) { r.RefundFee = -1 }},
		{"refund over total", cfg, func(r *wxpay.RefundRequest) { r.RefundFee = 8801 }},
		{"total 0", cfg, func(r *wxpay.RefundRequest) { r.TotalFee, r.RefundFee = 0, 0 }},
		{"reason of 81 characters", cfg, func(r *wxpay.RefundRequest) { r.Reason = strings.Repeat("退", 81) }},
		{"reason not UTF-8", cfg, func(r *wxpay.RefundRequest) { r.Reason = "\xff" }},
		{"notify_url with a query", cfg, func(r *wxpay.RefundRequest) { r.NotifyURL = testNotifyURL + "?a=1" }},
		{"notify_url relative", cfg, func(r *wxpay.RefundRequest) { r.NotifyURL = "/wxpay/v3/notify" }},
		{"no notify_url anywhere", noDefault, func(r *wxpay.RefundRequest) { r.NotifyURL = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := refundOf(100)
			tt.edit(&r)
			_, err := newClient(t, tt.cfg).Refund(context.Background(), r)
			if !errors.Is(err, wxpay.ErrInvalidParam) || wxpayv3.IsTransport(err) {
				t.Fatalf("Refund = %v, want ErrInvalidParam", err)
			}
		})
	}
	// 80 characters of reason and 64 of out_refund_no are fine (refused
	// by the fake only for want of the order).
	r := refundOf(100)
	r.Reason, r.OutRefundNo = strings.Repeat("退", 80), strings.Repeat("R", 60)+"_-|*@"[:4]
	if _, err := newClient(t, cfg).Refund(context.Background(), r); wxpayv3.ErrCode(err) != "RESOURCE_NOT_EXISTS" {
		t.Fatalf("Refund = %v", err)
	}
	if _, err := newClient(t, cfg).QueryRefund(context.Background(), "R/1"); !errors.Is(err, wxpay.ErrInvalidParam) {
		t.Fatalf("QueryRefund(R/1) = %v", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Fatalf("%d requests sent, want only the valid one", n)
	}
}
