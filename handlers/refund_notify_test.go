package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// refundRefunder answers every refund as accepted, so that a refund row
// exists for the notification to end.
type refundRefunder struct{ checkout.WeChat }

func (refundRefunder) Refund(_ context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	return &wxpay.RefundResponse{RefundID: "5030" + r.OutRefundNo, Status: wxpay.RefundProcessing}, nil
}

func (refundRefunder) RefundQuery(context.Context, string) (*wxpay.RefundQueryResponse, error) {
	return &wxpay.RefundQueryResponse{Status: wxpay.RefundProcessing}, nil
}

func refundNotice(t *testing.T, info wxpay.Params, key string) string {
	t.Helper()
	p := wxpay.Params{"return_code": "SUCCESS", "appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
		"nonce_str": "n0nce", "req_info": wxpay.SealRefundInfo(info, key)}
	return string(wxpay.Encode(p))
}

// POST /wxpay/refund-notify: a notification that decrypts and names our
// refund with its amount ends it once (SUCCESS XML, also for the repeat);
// one sealed with another key, naming another refund or another amount is
// refused with FAIL and changes nothing.
func TestRefundNotifyEndpoint(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	if err := r.Svc.Sync(context.Background(), o.OutTradeNo, "test"); err != nil {
		t.Fatal(err)
	}
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: refundRefunder{r.WeChat}, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute}})
	ref, _, err := svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 800, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	info := func(no string, fee string) wxpay.Params {
		return wxpay.Params{"out_refund_no": no, "out_trade_no": o.OutTradeNo, "refund_id": "503000001",
			"transaction_id": "4200000001", "total_fee": "5800", "refund_fee": fee, "settlement_refund_fee": fee,
			"refund_status": "SUCCESS", "success_time": "2026-11-22 18:30:00"}
	}
	post := func(body string) (int, string) {
		resp, err := http.Post(r.App.URL+"/wxpay/refund-notify", "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, testrig.ReadAll(t, resp)
	}
	for name, body := range map[string]string{
		"another key":    refundNotice(t, info(ref.OutRefundNo, "800"), strings.Repeat("k", 32)),
		"another refund": refundNotice(t, info("RNOTOURS000000001", "800"), wxpaysim.DemoAPIKey),
		"another amount": refundNotice(t, info(ref.OutRefundNo, "801"), wxpaysim.DemoAPIKey),
		"not XML":        "hello",
	} {
		if code, reply := post(body); code < 400 || code >= 500 || !strings.Contains(reply, "FAIL") {
			t.Errorf("%s: %d %s", name, code, reply)
		}
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid || got.RefundedFee != 0 {
		t.Fatalf("refused notifications changed the order: %s ¥%s", got.Status, got.RefundedFee.Yuan())
	}
	good := refundNotice(t, info(ref.OutRefundNo, "800"), wxpaysim.DemoAPIKey)
	for range 2 {
		if code, reply := post(good); code != http.StatusOK || !strings.Contains(reply, "SUCCESS") {
			t.Fatalf("valid refund notification: %d %s", code, reply)
		}
	}
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusRefund || got.RefundedFee != 800 {
		t.Fatalf("after the notification: %s ¥%s", got.Status, got.RefundedFee.Yuan())
	}
}

// A v2 refund end to end against the simulator: the shop refunds (the
// client presents the merchant certificate; the rig's simulator is plain
// HTTP), the simulator reports SUCCESS after its delay with an encrypted
// refund notification to /wxpay/refund-notify, and the order is REFUND.
func TestV2RefundEndToEnd(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Order(t, o.OutTradeNo).Status != models.StatusPaid {
		if time.Now().After(deadline) {
			t.Fatal("not paid")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ref, _, err := r.Svc.Refund(context.Background(), checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 5800, Actor: "test"})
	if err != nil || ref.Status != models.RefundProcessing {
		t.Fatalf("v2 refund: %+v %v", ref, err)
	}
	r.Clock.Advance(time.Minute) // past the simulator's refund delay
	deadline = time.Now().Add(10 * time.Second)
	for {
		r.Svc.ReconcileOnce(context.Background(), 2, 10)
		if got := r.Order(t, o.OutTradeNo); got.Status == models.StatusRefund && got.RefundedFee == 5800 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not refunded: %+v", r.Order(t, o.OutTradeNo))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
