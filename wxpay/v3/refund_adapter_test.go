package wxpayv3_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// The refund methods the checkout's WeChat interface is to gain, in v2's
// shapes (SPEC §8).
var _ interface {
	Refund(ctx context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error)
	RefundQuery(ctx context.Context, outRefundNo string) (*wxpay.RefundQueryResponse, error)
} = (*wxpayv3.Adapter)(nil)

func TestAdapterRefundAndQuery(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	paidOrder(t, f, a.Client(), 8800)
	ctx := context.Background()
	r := refundOf(300)
	r.NotifyURL = "http://127.0.0.1:8080/wxpay/refund-notify" // v2's, as the checkout may fill in
	resp, err := a.Refund(ctx, &r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.RefundID == "" || resp.Status != wxpay.RefundProcessing || resp.Fields["amount.refund"] != "300" ||
		resp.Exchange == nil || resp.Exchange.Op != "refund" || !strings.Contains(string(resp.Exchange.Response), resp.RefundID) {
		t.Fatalf("RefundResponse = %+v", resp)
	}
	if r.NotifyURL != "http://127.0.0.1:8080/wxpay/refund-notify" {
		t.Fatal("the caller's request was changed")
	}
	if sent := string(resp.Exchange.Request); !strings.Contains(sent, `"notify_url":"`+v3NotifyURL+`"`) {
		t.Fatalf("sent %s, want the v3 notify URL", sent)
	}

	q, err := a.RefundQuery(ctx, refundNo)
	if err != nil || q.Status != wxpay.RefundProcessing || !q.SuccessTime.IsZero() {
		t.Fatalf("processing: %+v, %v", q, err)
	}
	f.finishRefund(refundNo, "SUCCESS")
	q, err = a.RefundQuery(ctx, refundNo)
	if err != nil {
		t.Fatal(err)
	}
	if q.OutRefundNo != refundNo || q.RefundID != resp.RefundID || q.Status != wxpay.RefundSuccess || q.RefundFee != 300 ||
		!q.SuccessTime.Equal(time.Date(2024, 11, 23, 8, 0, 5, 0, time.UTC)) || q.Fields["status"] != "SUCCESS" ||
		q.Exchange == nil || q.Exchange.Op != "refundquery" {
		t.Fatalf("RefundQueryResponse = %+v", q)
	}

	// An adapter made with "" uses its client's NotifyURL; with neither,
	// the request's.
	noURL := f.keys.config(f.srv.URL)
	noURL.NotifyURL = ""
	r2 := refundOf(100)
	r2.OutRefundNo, r2.NotifyURL = "R2", "https://shop.example.com/wxpay/v3/notify2"
	for _, tt := range []struct {
		a    *wxpayv3.Adapter
		want string
	}{
		{wxpayv3.NewAdapter(a.Client(), ""), testNotifyURL},
		{wxpayv3.NewAdapter(newClient(t, noURL), ""), r2.NotifyURL},
	} {
		got, err := tt.a.Refund(ctx, &r2)
		if err != nil {
			t.Fatal(err)
		}
		if sent := string(got.Exchange.Request); !strings.Contains(sent, `"notify_url":"`+tt.want+`"`) {
			t.Fatalf("sent %s, want notify_url %s", sent, tt.want)
		}
	}
}

func TestAdapterRefundErrors(t *testing.T) {
	type preds struct{ transport, retryable bool }
	refund := func(fee int64) func(ctx context.Context, a *wxpayv3.Adapter) error {
		return func(ctx context.Context, a *wxpayv3.Adapter) error {
			r := refundOf(fee)
			_, err := a.Refund(ctx, &r)
			return err
		}
	}
	query := func(ctx context.Context, a *wxpayv3.Adapter) error {
		_, err := a.RefundQuery(ctx, refundNo)
		return err
	}
	fail := func(status int, code string) func(f *fakeWeChat, c *wxpayv3.Client) {
		return knob(func(f *fakeWeChat) { f.fail = &fakeFail{status, code, "失败"} })
	}
	tests := []struct {
		name    string
		setup   func(f *fakeWeChat, c *wxpayv3.Client)
		call    func(ctx context.Context, a *wxpayv3.Adapter) error
		errCode string // of the *wxpay.Error; "" for a transport error
		want    preds
		is      error
	}{
		{"unknown refund on query: REFUNDNOTEXIST", paid8800(nil), query, "REFUNDNOTEXIST", preds{}, nil},
		{"unknown order on refund: ORDERNOTEXIST", nil, refund(100), "ORDERNOTEXIST", preds{}, nil},
		{"NOT_ENOUGH is NOTENOUGH", fail(403, "NOT_ENOUGH"), refund(100), "NOTENOUGH", preds{}, nil},
		{"another amount under the same out_refund_no", refunded100, refund(200), "INVALID_REQUEST", preds{}, nil},
		{"SYSTEM_ERROR with 400 is retryable", fail(400, "SYSTEM_ERROR"), refund(100), "SYSTEMERROR", preds{retryable: true}, nil},
		{"FREQUENCY_LIMITED kept", fail(429, "FREQUENCY_LIMITED"), query, "FREQUENCY_LIMITED", preds{}, nil},
		{"SYSTEM_ERROR 500 on refund is an unknown outcome", fail(500, "SYSTEM_ERROR"), refund(100), "", preds{true, true}, nil},
		{"SYSTEM_ERROR 500 on query is an unknown outcome", fail(500, "SYSTEM_ERROR"), query, "", preds{true, true}, nil},
		{"a bad reply signature is an unknown outcome", paid8800(knob(func(f *fakeWeChat) { f.tamper = "badsig" })), refund(100), "",
			preds{true, true}, wxpayv3.ErrBadSignature},
		{"a refused field is neither", nil, refund(0), "", preds{}, wxpay.ErrInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			a := newAdapter(t, f)
			if tt.setup != nil {
				tt.setup(f, newClient(t, f.keys.config(f.srv.URL)))
			}
			err := tt.call(context.Background(), a)
			got := preds{wxpay.IsTransport(err), wxpay.IsRetryable(err)}
			if err == nil || got != tt.want || wxpay.ErrCode(err) != tt.errCode {
				t.Fatalf("%v: predicates %+v, ErrCode %q; want %+v, %q", err, got, wxpay.ErrCode(err), tt.want, tt.errCode)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("%v does not wrap %v", err, tt.is)
			}
			var we *wxpay.Error
			if errors.As(err, &we) && (we.ErrCodeDes == "" || we.Exchange == nil || we.Exchange.HTTPStatus < 400 ||
				!strings.Contains(we.Error(), we.ErrCode) || !strings.HasPrefix(we.Op, "refund")) {
				t.Fatalf("wxpay.Error = %+v", we)
			}
			if wxpay.IsTransport(err) && wxpay.ExchangeOf(err) == nil {
				t.Fatal("a transport error without its exchange")
			}
		})
	}
}

// A REFUND.* notification reaches the checkout through ParseNotificationV3.
func TestAdapterRefundNotification(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	h, body := refundNotif(wxpayv3.EventRefundAbnormal, refundResource(wxpay.RefundAbnormal)).build(t, f.keys)
	n, err := a.ParseNotificationV3(h, body)
	if err != nil || n.Refund == nil || n.Refund.Status != wxpay.RefundAbnormal || n.Refund.OutRefundNo != refundNo {
		t.Fatalf("ParseNotificationV3 = %+v, %v", n, err)
	}
}

// As for orders, no key reaches a refund's exchanges or error texts.
func TestRefundExchangesCarryNoSecret(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	paidOrder(t, f, a.Client(), 8800)
	ctx := context.Background()
	var texts []string
	record := func(x *wxpay.Exchange, err error) {
		if x != nil {
			texts = append(texts, x.URL, string(x.Request), string(x.Response))
		}
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	r := refundOf(100)
	resp, err := a.Refund(ctx, &r)
	record(resp.Exchange, err)
	q, err := a.RefundQuery(ctx, refundNo)
	record(q.Exchange, err)
	_, err = a.RefundQuery(ctx, "R404")
	record(wxpay.ExchangeOf(err), err)
	f.set(func(f *fakeWeChat) { f.tamper = "badsig" })
	_, err = a.Refund(ctx, &r)
	record(wxpay.ExchangeOf(err), err)
	all := strings.Join(texts, "\n")
	for _, s := range []string{testAPIv3Key, wxpayv3.AuthScheme, "signature="} {
		if strings.Contains(all, s) {
			t.Errorf("%q appears in an exchange or error", s)
		}
	}
	if len(texts) != 14 {
		t.Fatalf("%d texts checked, want 14", len(texts))
	}
}
