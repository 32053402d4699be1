package wxpayv3_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// The simulator's notification faults reach the parser as §7's refusals:
// a resource under another APIv3 key does not decrypt, a bad signature
// does not verify; a wrong amount verifies (the checkout refuses it
// against the order).
func TestSimulatorNotificationFaults(t *testing.T) {
	tests := []struct {
		kind  wxpaysim.FaultKind
		want  error
		total int64
	}{
		{wxpaysim.FaultBadResource, wxpayv3.ErrDecrypt, 0},
		{wxpaysim.FaultBadSign, wxpayv3.ErrBadSignature, 0},
		{wxpaysim.FaultWrongAmount, nil, 8801},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			r := newSimRig(t, wxpaysim.V3SignPubKey)
			if _, err := r.c.NativeOrder(context.Background(), wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: simNo, Total: 8800}); err != nil {
				t.Fatal(err)
			}
			if err := r.sim.Inject(wxpaysim.Fault{Kind: tt.kind}); err != nil {
				t.Fatal(err)
			}
			if err := r.sim.PayOutTradeNo(simNo); err != nil {
				t.Fatal(err)
			}
			p := r.next(t)
			if tt.want != nil {
				if !errors.Is(p.err, tt.want) || p.n != nil {
					t.Fatalf("ParseNotification = %+v, %v; want %v", p.n, p.err, tt.want)
				}
				return
			}
			if p.err != nil || p.n.Transaction.TotalFee != tt.total {
				t.Fatalf("ParseNotification = %+v, %v; want total %d", p.n, p.err, tt.total)
			}
		})
	}
}

// Through the Adapter, the simulator's answers meet wxpay's predicates.
func TestAdapterAgainstSimulator(t *testing.T) {
	r := newSimRig(t, wxpaysim.V3SignBoth)
	a := wxpayv3.NewAdapter(r.c, "")
	ctx := context.Background()
	resp, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: simNo, TotalFee: 8800,
		TimeExpire: time.Now().Add(15 * time.Minute), NotifyURL: "http://127.0.0.1:1/wxpay/notify"})
	if err != nil || resp.CodeURL == "" {
		t.Fatalf("UnifiedOrder = %+v, %v", resp, err)
	}
	if _, err := a.OrderQuery(ctx, simNo+"9"); !wxpay.IsOrderNotExist(err) || wxpay.IsRetryable(err) {
		t.Fatalf("query of an unknown order = %v", err)
	}
	if err := r.sim.PayOutTradeNo(simNo); err != nil {
		t.Fatal(err)
	}
	if p := r.next(t); p.err != nil {
		t.Fatalf("the notification went to the adapter's notify URL and did not parse: %v", p.err)
	}
	q, err := a.OrderQuery(ctx, simNo)
	if err != nil || !q.Paid() || q.TotalFee != 8800 || q.TransactionID == "" || q.TimeEnd.IsZero() {
		t.Fatalf("OrderQuery = %+v, %v", q, err)
	}
	if _, err := a.CloseOrder(ctx, simNo); !wxpay.IsOrderPaid(err) {
		t.Fatalf("close of a paid order = %v", err)
	}
	if _, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: simNo, TotalFee: 8800}); !wxpay.IsOrderPaid(err) {
		t.Fatalf("re-entry of a paid order = %v", err)
	}
	if err := r.sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OrderQuery(ctx, simNo); !wxpay.IsTransport(err) || !wxpay.IsRetryable(err) {
		t.Fatalf("SYSTEM_ERROR = %v", err)
	}
}
