package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// fakeRefunds is WeChat with refunds (as in checkout/refund_test.go): the
// rig's real client for orders, refunds answered as each test sets.
type fakeRefunds struct {
	checkout.WeChat
	mu     sync.Mutex
	sent   []wxpay.RefundRequest
	refund func(r *wxpay.RefundRequest) (*wxpay.RefundResponse, error)
}

func (f *fakeRefunds) Refund(_ context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, *r)
	return f.refund(r)
}

func (f *fakeRefunds) RefundQuery(_ context.Context, no string) (*wxpay.RefundQueryResponse, error) {
	return &wxpay.RefundQueryResponse{OutRefundNo: no, Status: wxpay.RefundProcessing}, nil
}

// Sent is how many refund requests reached WeChat.
func (f *fakeRefunds) Sent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func (f *fakeRefunds) setRefund(fn func(r *wxpay.RefundRequest) (*wxpay.RefundResponse, error)) {
	f.mu.Lock()
	f.refund = fn
	f.mu.Unlock()
}

func acceptRefund(r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	return &wxpay.RefundResponse{RefundID: "5030" + r.OutRefundNo[1:], Status: wxpay.RefundProcessing}, nil
}

func refuseRefund(*wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	return nil, &wxpay.Error{Op: "refund", ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足"}
}

// refundRig is the rig served by a service whose WeChat refunds through
// the returned fake: r.App, r.Svc and the handler are that service's.
func refundRig(t *testing.T) (*testrig.Rig, *fakeRefunds) {
	t.Helper()
	base := testrig.New(t, testrig.Options{})
	f := &fakeRefunds{WeChat: base.WeChat, refund: acceptRefund}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) }))
	t.Cleanup(srv.Close)
	svc := checkout.New(checkout.Deps{Store: base.Store, WeChat: f, Logger: base.Log, Now: base.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: srv.URL + "/wxpay/notify", ServerIP: "127.0.0.1",
			RefundNotifyURL: srv.URL + "/wxpay/refund-notify", PublicURL: srv.URL, AllowPrivateNotify: true}})
	hd, err := handlers.New(svc, handlers.Options{Now: base.Clock.Now, Admin: svc, Auth: base.Auth, Gateway: svc}, base.Log)
	if err != nil {
		t.Fatal(err)
	}
	h = hd.Routes()
	r := *base
	r.App, r.Svc = srv, svc
	return &r, f
}

// payBySync pays o at the simulator, drops the notification and records
// the payment by a query, deterministically.
func payBySync(t *testing.T, r *testrig.Rig, o *models.Order) *models.Order {
	t.Helper()
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	if err := r.Svc.Sync(context.Background(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid {
		t.Fatalf("order %s is %s after payment", o.OutTradeNo, got.Status)
	}
	return got
}

// refundsOf are the order's refunds, oldest first.
func refundsOf(t *testing.T, r *testrig.Rig, no string) []models.Refund {
	t.Helper()
	rs, err := r.Svc.Refunds(context.Background(), r.Order(t, no))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
