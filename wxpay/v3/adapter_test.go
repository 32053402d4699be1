package wxpayv3_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// The adapter is what the checkout service, the reconciler and the admin
// sync hold in v3 mode, and what /wxpay/v3/notify parses with.
var (
	_ checkout.WeChat = (*wxpayv3.Adapter)(nil)
	_ interface {
		ParseNotificationV3(h http.Header, body []byte) (*wxpayv3.Notification, error)
	} = (*wxpayv3.Adapter)(nil)
)

const v3NotifyURL = "http://127.0.0.1:8080/wxpay/v3/notify"

func newAdapter(tb testing.TB, f *fakeWeChat) *wxpayv3.Adapter {
	tb.Helper()
	return wxpayv3.NewAdapter(newClient(tb, f.keys.config(f.srv.URL)), v3NotifyURL)
}

func TestAdapterUnifiedOrderIsANativeOrder(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	expire := time.Now().Add(15 * time.Minute)
	resp, err := a.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "咖啡豆 500g", OutTradeNo: errNo, TotalFee: 8800, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "http://127.0.0.1:8080/wxpay/notify", ProductID: "beans-500", TimeStart: time.Now(), TimeExpire: expire,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.CodeURL == "" || resp.Fields["code_url"] != resp.CodeURL || resp.Exchange == nil || resp.Exchange.Op != "native" {
		t.Fatalf("UnifiedOrderResponse = %+v", resp)
	}
	got := string(f.requests()[0].body)
	want := `{"appid":"` + testAppID + `","mchid":"` + testMchID + `","description":"咖啡豆 500g","out_trade_no":"` + errNo +
		`","time_expire":"` + beijingWallClock(expire) + `","notify_url":"` + v3NotifyURL + `","amount":{"total":8800,"currency":"CNY"}}`
	if got != want {
		t.Fatalf("sent\n %s\nwant\n %s", got, want)
	}

	// Without a notify URL of its own, the adapter uses the client's.
	b := wxpayv3.NewAdapter(newClient(t, f.keys.config(f.srv.URL)), "")
	if _, err := b.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: errNo + "2", TotalFee: 1}); err != nil {
		t.Fatal(err)
	}
	if got := string(f.requests()[1].body); !strings.Contains(got, `"notify_url":"`+testNotifyURL+`"`) {
		t.Fatalf("sent %s", got)
	}
}

func TestAdapterOrderQueryAndClose(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	ctx := context.Background()
	if _, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: errNo, TotalFee: 8800, Attach: "x"}); err != nil {
		t.Fatal(err)
	}
	q, err := a.OrderQuery(ctx, errNo)
	if err != nil || q.TradeState != wxpay.TradeNotPay || q.Paid() || q.TransactionID != "" || q.Exchange == nil {
		t.Fatalf("unpaid: %+v, %v", q, err)
	}
	f.pay(errNo)
	q, err = a.OrderQuery(ctx, errNo)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Paid() || q.OutTradeNo != errNo || q.TransactionID != "4200002345202411230000000001" || q.TotalFee != 8800 ||
		q.CashFee != 8800 || q.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || q.BankType != "OTHERS" || q.Attach != "x" ||
		q.TradeStateDesc != "支付成功" || !q.TimeEnd.Equal(time.Date(2024, 11, 23, 7, 4, 5, 0, time.UTC)) ||
		q.Fields["amount.total"] != "8800" || q.Exchange.Op != "query" {
		t.Fatalf("paid: %+v", q)
	}
	if _, err := a.CloseOrder(ctx, errNo); !wxpay.IsOrderPaid(err) {
		t.Fatalf("close of a paid order = %v, want ORDERPAID", err)
	}
	other := errNo + "9"
	if _, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: other, TotalFee: 1}); err != nil {
		t.Fatal(err)
	}
	r, err := a.CloseOrder(ctx, other)
	if err != nil || r.Exchange == nil || r.Exchange.HTTPStatus != http.StatusNoContent {
		t.Fatalf("close = %+v, %v", r, err)
	}
}

// The checkout tests errors with wxpay's predicates; v3's codes must answer
// them as v2's would.
func TestAdapterErrorsAnswerWxpayPredicates(t *testing.T) {
	type preds struct{ notExist, paid, closed, reentry, transport, retryable bool }
	tests := []struct {
		name    string
		setup   func(f *fakeWeChat, c *wxpayv3.Client)
		call    func(ctx context.Context, a *wxpayv3.Adapter) error
		errCode string // of the *wxpay.Error; "" for a transport error
		want    preds
		is      error
	}{
		{"ORDER_NOT_EXIST on query", nil, adapterQuery, "ORDERNOTEXIST", preds{notExist: true}, nil},
		{"ORDER_NOT_EXIST on close", nil, adapterClose, "ORDERNOTEXIST", preds{notExist: true}, nil},
		{"ORDERPAID on close", withOrder(func(f *fakeWeChat, _ *wxpayv3.Client) { f.pay(errNo) }), adapterClose, "ORDERPAID", preds{paid: true}, nil},
		{"ORDERPAID on re-entry", withOrder(func(f *fakeWeChat, _ *wxpayv3.Client) { f.pay(errNo) }), adapterOrder(1), "ORDERPAID", preds{paid: true}, nil},
		{"ORDER_CLOSED on re-entry", withOrder(func(_ *fakeWeChat, c *wxpayv3.Client) { closeCall(context.Background(), c) }), adapterOrder(1), "ORDERCLOSED", preds{closed: true}, nil},
		{"INVALID_REQUEST on re-entry with another amount", withOrder(nil), adapterOrder(2), "INVALID_REQUEST", preds{reentry: true}, nil},
		{"PARAM_ERROR kept", knob(func(f *fakeWeChat) { f.fail = &fakeFail{400, "PARAM_ERROR", "参数错误"} }), adapterOrder(1), "PARAM_ERROR", preds{}, nil},
		{"SIGN_ERROR kept", knob(func(f *fakeWeChat) { f.fail = &fakeFail{401, "SIGN_ERROR", "签名错误"} }), adapterQuery, "SIGN_ERROR", preds{}, nil},
		{"SYSTEM_ERROR with 400 is retryable", knob(func(f *fakeWeChat) { f.fail = &fakeFail{400, "SYSTEM_ERROR", "系统繁忙"} }), adapterOrder(1), "SYSTEMERROR", preds{retryable: true}, nil},
		{"SYSTEM_ERROR 500 is an unknown outcome", knob(func(f *fakeWeChat) { f.fail = &fakeFail{500, "SYSTEM_ERROR", "系统错误"} }), adapterOrder(1), "", preds{transport: true, retryable: true}, nil},
		{"a bad reply signature is an unknown outcome", knob(func(f *fakeWeChat) { f.tamper = "badsig" }), adapterQuery, "", preds{transport: true, retryable: true}, wxpayv3.ErrBadSignature},
		{"a stale reply is an unknown outcome", knob(func(f *fakeWeChat) { f.tamper = "stale" }), adapterClose, "", preds{transport: true, retryable: true}, wxpayv3.ErrStaleTimestamp},
		{"a refused field is neither", nil, adapterOrder(0), "", preds{}, wxpay.ErrInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			a := newAdapter(t, f)
			if tt.setup != nil {
				tt.setup(f, newClient(t, f.keys.config(f.srv.URL)))
			}
			err := tt.call(context.Background(), a)
			got := preds{wxpay.IsOrderNotExist(err), wxpay.IsOrderPaid(err), wxpay.IsOrderClosed(err),
				wxpay.IsReentryConflict(err), wxpay.IsTransport(err), wxpay.IsRetryable(err)}
			if err == nil || got != tt.want || wxpay.ErrCode(err) != tt.errCode {
				t.Fatalf("%v: predicates %+v, ErrCode %q; want %+v, %q", err, got, wxpay.ErrCode(err), tt.want, tt.errCode)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("%v does not wrap %v", err, tt.is)
			}
			var we *wxpay.Error
			if errors.As(err, &we) && (we.ErrCodeDes == "" || we.Exchange == nil || we.Exchange.HTTPStatus < 400 || !strings.Contains(we.Error(), we.ErrCode)) {
				t.Fatalf("wxpay.Error = %+v", we)
			}
			if wxpay.IsTransport(err) && wxpay.ExchangeOf(err) == nil {
				t.Fatal("a transport error without its exchange")
			}
		})
	}
}

func adapterOrder(total int64) func(ctx context.Context, a *wxpayv3.Adapter) error {
	return func(ctx context.Context, a *wxpayv3.Adapter) error {
		_, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: errNo, TotalFee: total})
		return err
	}
}

func adapterQuery(ctx context.Context, a *wxpayv3.Adapter) error {
	_, err := a.OrderQuery(ctx, errNo)
	return err
}

func adapterClose(ctx context.Context, a *wxpayv3.Adapter) error {
	_, err := a.CloseOrder(ctx, errNo)
	return err
}

func TestV2Code(t *testing.T) {
	for v3, v2 := range map[string]string{"ORDER_NOT_EXIST": "ORDERNOTEXIST", "ORDERPAID": "ORDERPAID", "ORDER_CLOSED": "ORDERCLOSED",
		"SYSTEM_ERROR": "SYSTEMERROR", "PARAM_ERROR": "PARAM_ERROR", "INVALID_REQUEST": "INVALID_REQUEST", "": ""} {
		if got := wxpayv3.V2Code(v3); got != v2 {
			t.Errorf("V2Code(%q) = %q, want %q", v3, got, v2)
		}
	}
}

func TestAdapterNotifications(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	h, body := notif{}.build(t, f.keys)
	if _, err := a.ParseNotification(body); !errors.Is(err, wxpayv3.ErrV2Notification) || !strings.Contains(err.Error(), "/wxpay/v3/notify") {
		t.Fatalf("v2 ParseNotification = %v", err)
	}
	n, err := a.ParseNotificationV3(h, body)
	if err != nil || n.Transaction == nil || !n.Transaction.Paid() || n.Transaction.OutTradeNo != notifyNo {
		t.Fatalf("ParseNotificationV3 = %+v, %v", n, err)
	}
}

// No key reaches an exchange or an error text: they go to the order's
// timeline and the log.
func TestExchangesAndErrorsCarryNoSecret(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
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
	u, err := a.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "咖啡", OutTradeNo: errNo, TotalFee: 1})
	record(u.Exchange, err)
	q, err := a.OrderQuery(ctx, errNo)
	record(q.Exchange, err)
	c, err := a.CloseOrder(ctx, errNo)
	record(c.Exchange, err)
	_, err = a.OrderQuery(ctx, "20241123000000000000000000")
	record(wxpay.ExchangeOf(err), err)
	f.set(func(f *fakeWeChat) { f.tamper = "badsig" })
	_, err = a.CloseOrder(ctx, errNo)
	record(wxpay.ExchangeOf(err), err)
	h, body := notif{apiv3Key: strings.Repeat("k", 32)}.build(t, f.keys)
	_, err = a.ParseNotificationV3(h, body)
	record(nil, err)

	d := f.keys.merchant.D.Bytes()
	secrets := map[string]string{"APIv3 key": testAPIv3Key, "merchant private exponent": base64.StdEncoding.EncodeToString(d)[:40],
		"Authorization": wxpayv3.AuthScheme, "request signature": "signature="}
	all := strings.Join(texts, "\n")
	for name, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the %s appears in an exchange or error", name)
		}
	}
	if len(texts) < 12 {
		t.Fatalf("only %d texts checked", len(texts))
	}
}
