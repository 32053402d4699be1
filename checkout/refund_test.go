package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// fakeRefunds is WeChat with refunds: the rig's real client for orders,
// and refunds answered as each test sets.
type fakeRefunds struct {
	checkout.WeChat
	mu      sync.Mutex
	sent    []wxpay.RefundRequest
	refund  func(r *wxpay.RefundRequest) (*wxpay.RefundResponse, error)
	query   func(no string) (*wxpay.RefundQueryResponse, error)
	queries int
}

func (f *fakeRefunds) Refund(_ context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, *r)
	return f.refund(r)
}

func (f *fakeRefunds) RefundQuery(_ context.Context, no string) (*wxpay.RefundQueryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	return f.query(no)
}

func accepted(r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	return &wxpay.RefundResponse{RefundID: "5030" + r.OutRefundNo, Status: wxpay.RefundProcessing}, nil
}

func queried(status string) func(string) (*wxpay.RefundQueryResponse, error) {
	return func(no string) (*wxpay.RefundQueryResponse, error) {
		return &wxpay.RefundQueryResponse{OutRefundNo: no, RefundID: "5030" + no, Status: status}, nil
	}
}

// refundRig is the rig plus a service whose WeChat refunds through f.
func refundRig(t *testing.T) (*testrig.Rig, *checkout.Service, *fakeRefunds) {
	r := testrig.New(t, testrig.Options{})
	f := &fakeRefunds{WeChat: r.WeChat, refund: accepted, query: queried(wxpay.RefundProcessing)}
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: f, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1",
			RefundNotifyURL: r.App.URL + "/wxpay/refund-notify", PublicURL: r.App.URL, AllowPrivateNotify: true}})
	return r, svc, f
}

func paidShopOrder(t *testing.T, r *testrig.Rig) *models.Order {
	o := r.PlaceOrder(t, "COFFEE", 2) // ¥116.00
	payGateway(t, r, o)
	return r.Order(t, o.OutTradeNo)
}

func TestRefundIsProcessingUntilWeChatSaysSuccess(t *testing.T) {
	r, svc, f := refundRig(t)
	o := paidShopOrder(t, r)
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 5000, Reason: "缺货", Actor: "admin:test"})
	if err != nil || ref.Status != models.RefundProcessing {
		t.Fatalf("refund: %+v %v", ref, err)
	}
	if len(f.sent) != 1 || f.sent[0].TotalFee != 11600 || f.sent[0].RefundFee != 5000 || f.sent[0].NotifyURL != r.App.URL+"/wxpay/refund-notify" {
		t.Fatalf("sent %+v", f.sent)
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid || got.Refundable() != 6600 {
		t.Fatalf("while processing: %s, refundable ¥%s", got.Status, got.Refundable().Yuan())
	}
	r.Clock.Advance(10 * time.Second)
	svc.ReconcileOnce(context.Background(), 2, 50)
	if f.queries != 1 {
		t.Fatalf("%d queries after 10 s", f.queries)
	}
	f.query = queried(wxpay.RefundSuccess)
	r.Clock.Advance(time.Minute)
	svc.ReconcileOnce(context.Background(), 2, 50)
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusRefund || got.RefundedFee != 5000 {
		t.Fatalf("after SUCCESS: %s refunded ¥%s", got.Status, got.RefundedFee.Yuan())
	}
	// The notification arriving after the query changes nothing more.
	err = svc.RefundNotified(context.Background(), &wxpay.RefundNotification{OutRefundNo: ref.OutRefundNo, OutTradeNo: o.OutTradeNo,
		RefundFee: 5000, TotalFee: 11600, Status: wxpay.RefundSuccess})
	if err != nil || r.Order(t, o.OutTradeNo).RefundedFee != 5000 {
		t.Fatalf("late notification: %v", err)
	}
}

func TestRefundWithAnUnknownOutcomeIsResentWithTheSameNumber(t *testing.T) {
	r, svc, f := refundRig(t)
	o := paidShopOrder(t, r)
	f.refund = func(*wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
		return nil, &wxpay.TransportError{Op: "refund", Err: errors.New("timeout")}
	}
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 11600, Actor: "admin:test"})
	if err != nil || ref.Status != models.RefundProcessing {
		t.Fatalf("refund with a lost reply: %+v %v", ref, err)
	}
	f.refund = accepted
	f.query = func(string) (*wxpay.RefundQueryResponse, error) {
		return nil, &wxpay.Error{Op: "refundquery", ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "REFUNDNOTEXIST"}
	}
	r.Clock.Advance(10 * time.Second)
	svc.ReconcileOnce(context.Background(), 2, 50)
	if len(f.sent) != 2 || f.sent[1].OutRefundNo != f.sent[0].OutRefundNo || f.sent[1].RefundFee != 11600 {
		t.Fatalf("resend: %+v", f.sent)
	}
	// Nothing else may be refunded meanwhile: the amount stays reserved.
	if _, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 1}); checkout.KindOf(err) != checkout.KindInvalid {
		t.Fatalf("a second refund while the first is unknown: %v", err)
	}
	if len(f.sent) != 2 {
		t.Fatalf("the refused refund was sent")
	}
}

func TestRefundRefusedByWeChatFreesItsAmount(t *testing.T) {
	r, svc, f := refundRig(t)
	o := paidShopOrder(t, r)
	f.refund = func(*wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
		return nil, &wxpay.Error{Op: "refund", ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足"}
	}
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 100})
	if checkout.KindOf(err) != checkout.KindUpstream || ref == nil || ref.Status != models.RefundClosed {
		t.Fatalf("refused refund: %+v %v", ref, err)
	}
	if got := r.Order(t, o.OutTradeNo); got.Refundable() != o.TotalFee || got.Status != models.StatusPaid {
		t.Fatalf("after the refusal: refundable ¥%s, %s", got.Refundable().Yuan(), got.Status)
	}
}

func TestBadRefundsSendNothing(t *testing.T) {
	r, svc, f := refundRig(t)
	o := paidShopOrder(t, r)
	open := r.PlaceOrder(t, "PENNY", 1)
	cases := map[string]checkout.RefundRequest{
		"zero":        {OutTradeNo: o.OutTradeNo, Amount: 0},
		"negative":    {OutTradeNo: o.OutTradeNo, Amount: -5},
		"over":        {OutTradeNo: o.OutTradeNo, Amount: o.TotalFee + 1},
		"unpaid":      {OutTradeNo: open.OutTradeNo, Amount: 1},
		"unknown":     {OutTradeNo: "NOSUCHORDER00001", Amount: 1},
		"long reason": {OutTradeNo: o.OutTradeNo, Amount: 1, Reason: string(make([]rune, 81))},
	}
	for name, c := range cases {
		if _, _, err := svc.Refund(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(f.sent) != 0 {
		t.Fatalf("bad refunds reached WeChat: %+v", f.sent)
	}
	if got := r.Order(t, o.OutTradeNo); got.RefundCount != 0 || got.RefundReserved != 0 {
		t.Fatalf("bad refunds changed the order: %+v", got)
	}
}

func TestRefundNotificationsAreCheckedAndAppliedOnce(t *testing.T) {
	r, svc, _ := refundRig(t)
	o := paidShopOrder(t, r)
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 600})
	must(t, err)
	n := wxpay.RefundNotification{OutRefundNo: ref.OutRefundNo, OutTradeNo: o.OutTradeNo, RefundFee: 600, TotalFee: 11600,
		Status: wxpay.RefundSuccess, RefundID: "503099"}
	for name, bad := range map[string]wxpay.RefundNotification{
		"unknown refund":   {OutRefundNo: "RNOSUCH", OutTradeNo: o.OutTradeNo, RefundFee: 600, Status: wxpay.RefundSuccess},
		"another amount":   {OutRefundNo: ref.OutRefundNo, OutTradeNo: o.OutTradeNo, RefundFee: 601, Status: wxpay.RefundSuccess},
		"another order no": {OutRefundNo: ref.OutRefundNo, OutTradeNo: "OTHER", RefundFee: 600, Status: wxpay.RefundSuccess},
	} {
		if err := svc.RefundNotified(context.Background(), &bad); checkout.KindOf(err) != checkout.KindRefused {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid {
		t.Fatalf("refused notifications changed the order: %s", got.Status)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { must(t, svc.RefundNotified(context.Background(), &n)) })
	}
	wg.Wait()
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusRefund || got.RefundedFee != 600 {
		t.Fatalf("after 8 identical notifications: %s refunded ¥%s", got.Status, got.RefundedFee.Yuan())
	}
}

func TestGatewayRefundSucceededWebhook(t *testing.T) {
	r, svc, _ := refundRig(t)
	app := r.MerchantApp(t, "api")
	m := newMerchant(t, 0, "")
	o, _, err := svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app, OutTradeNo: "RF-1",
		Name: "Item", Amount: 1000, NotifyURL: m.srv.URL, Style: models.NotifyWebhook})
	must(t, err)
	payGateway(t, r, o)
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 300, MerchantRefundNo: "MR-1"})
	must(t, err)
	must(t, svc.RefundNotified(context.Background(), &wxpay.RefundNotification{OutRefundNo: ref.OutRefundNo,
		OutTradeNo: o.OutTradeNo, RefundFee: 300, Status: wxpay.RefundSuccess}))
	svc.DeliverOnce(context.Background(), m.srv.Client(), 2, 10)
	svc.DeliverOnce(context.Background(), m.srv.Client(), 2, 10)
	_, bodies := m.requests()
	var last gateway.Event
	must(t, json.Unmarshal([]byte(bodies[len(bodies)-1]), &last))
	if last.Type != "refund.succeeded" || last.Data.RefundedAmount != 300 || last.Data.Status != "REFUND" ||
		last.Data.Refund == nil || last.Data.Refund.OutRefundNo != "MR-1" || last.Data.Refund.Amount != 300 {
		t.Fatalf("webhook %+v", last)
	}
}

// A refunded order's payment page is still its receipt, and its status
// says REFUND with the refunded amount.
func TestRefundedOrderPageIsAReceipt(t *testing.T) {
	r, svc, _ := refundRig(t)
	o := paidShopOrder(t, r)
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 100})
	must(t, err)
	must(t, svc.RefundNotified(context.Background(), &wxpay.RefundNotification{OutRefundNo: ref.OutRefundNo,
		OutTradeNo: o.OutTradeNo, RefundFee: 100, Status: wxpay.RefundSuccess}))
	resp, err := r.Browser(t).Get(r.App.URL + "/pay/" + o.Token)
	must(t, err)
	page := testrig.ReadAll(t, resp)
	if !strings.Contains(page, `data-status="REFUND"`) || !strings.Contains(page, `data-state="PAID"`) || !strings.Contains(page, `id="transaction-id"`) {
		t.Fatalf("refunded order's page is not a receipt:\n%s", page)
	}
	// The status view of the service that ended the refund (the rig's own
	// service, behind the HTTP routes, has no refunds).
	st, err := svc.StatusByToken(context.Background(), o.Token)
	if err != nil || st.Status != models.StatusRefund || st.RefundedFee != 100 {
		t.Fatalf("status %+v %v", st, err)
	}
}
