package wxpaysim_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

var (
	codeURLShape = regexp.MustCompile(`^weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{7,}$`)
	txnShape     = regexp.MustCompile(`^[0-9]{28}$`)
)

func wxErr(tb testing.TB, err error) *wxpay.Error {
	tb.Helper()
	var we *wxpay.Error
	if !errors.As(err, &we) {
		tb.Fatalf("err = %v (%T), want *wxpay.Error", err, err)
	}
	return we
}

func wantErrCode(tb testing.TB, err error, code, des string) {
	tb.Helper()
	we := wxErr(tb, err)
	if we.ErrCode != code || (des != "" && we.ErrCodeDes != des) {
		tb.Errorf("err = %s %q, want %s %q", we.ErrCode, we.ErrCodeDes, code, des)
	}
}

func TestRoundTripBothSignTypes(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256} {
		t.Run(string(st), func(t *testing.T) {
			r := manualRig(t)
			c := r.client(t, func(cfg *wxpay.Config) { cfg.SignType = st })
			ctx := context.Background()
			resp, err := c.UnifiedOrder(ctx, orderReq("RT-0001", "http://127.0.0.1:1/n"))
			if err != nil {
				t.Fatal(err)
			}
			if !codeURLShape.MatchString(resp.CodeURL) {
				t.Errorf("code_url = %q", resp.CodeURL)
			}
			if resp.Fields["sign_type"] != string(st) || resp.Fields["trade_type"] != "NATIVE" {
				t.Errorf("reply fields = %v", resp.Fields)
			}
			q, err := c.OrderQuery(ctx, "RT-0001")
			if err != nil {
				t.Fatal(err)
			}
			if q.TradeState != wxpay.TradeNotPay || q.Fields["transaction_id"] != "" || q.Fields["total_fee"] != "" {
				t.Errorf("unpaid query = %v, want NOTPAY without payment fields", q.Fields)
			}
			if _, err := c.CloseOrder(ctx, "RT-0001"); err != nil {
				t.Fatal(err)
			}
			if q, err = c.OrderQuery(ctx, "RT-0001"); err != nil || q.TradeState != wxpay.TradeClosed {
				t.Errorf("after close: %v %v, want CLOSED", q, err)
			}
		})
	}
}

func TestOrderQueryPaid(t *testing.T) {
	r := manualRig(t)
	c := r.client(t)
	ctx := context.Background()
	code := place(t, c, orderReq("PAID-0001", "http://127.0.0.1:1/n"))
	r.clock.Advance(90 * time.Second)
	if err := r.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	q, err := c.OrderQuery(ctx, "PAID-0001")
	if err != nil {
		t.Fatal(err)
	}
	paidAt := t0.Add(90 * time.Second)
	if !q.Paid() || q.TotalFee != 1234 || q.CashFee != 1234 || !q.TimeEnd.Equal(paidAt) ||
		!txnShape.MatchString(q.TransactionID) || q.OpenID == "" || q.BankType == "" || q.Attach != "note=1" {
		t.Errorf("paid query = %+v", q)
	}
	if f := q.Fields; f["fee_type"] != "CNY" || f["trade_type"] != "NATIVE" || f["time_end"] != "20250301100130" {
		t.Errorf("paid fields = %v", f)
	}
	// by transaction_id, as a merchant with only the notification would
	byTxn := r.signed(t, "/pay/orderquery", wxpay.Params{
		"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": "n1",
		"transaction_id": q.TransactionID,
	})
	if byTxn["out_trade_no"] != "PAID-0001" || byTxn["trade_state"] != "SUCCESS" {
		t.Errorf("query by transaction_id = %v", byTxn)
	}
	_, err = c.OrderQuery(ctx, "NOSUCH-01")
	wantErrCode(t, err, wxpay.CodeOrderNotExist, "")
}

func TestPaidAndClosedOrders(t *testing.T) {
	r := manualRig(t)
	c := r.client(t)
	ctx := context.Background()
	code := place(t, c, orderReq("STATE-PAID", "http://127.0.0.1:1/n"))
	if err := r.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	_, err := c.UnifiedOrder(ctx, orderReq("STATE-PAID", "http://127.0.0.1:1/n"))
	if !wxpay.IsOrderPaid(err) {
		t.Errorf("unifiedorder on paid: %v, want ORDERPAID", err)
	}
	_, err = c.CloseOrder(ctx, "STATE-PAID")
	wantErrCode(t, err, wxpay.CodeOrderPaid, "")

	place(t, c, orderReq("STATE-CLOSED", "http://127.0.0.1:1/n"))
	if _, err := c.CloseOrder(ctx, "STATE-CLOSED"); err != nil {
		t.Fatal(err)
	}
	_, err = c.UnifiedOrder(ctx, orderReq("STATE-CLOSED", "http://127.0.0.1:1/n"))
	if !wxpay.IsOrderClosed(err) {
		t.Errorf("unifiedorder on closed: %v, want ORDERCLOSED", err)
	}
	_, err = c.CloseOrder(ctx, "STATE-CLOSED")
	wantErrCode(t, err, wxpay.CodeOrderClosed, "")
	_, err = c.CloseOrder(ctx, "NOSUCH-01")
	wantErrCode(t, err, wxpay.CodeOrderNotExist, "")
}

func TestCloseTooEarly(t *testing.T) {
	clock := wxpaysim.NewManualClock(t0)
	r := newRig(t, wxpaysim.Options{Clock: clock}) // MinCloseAge: the default five minutes
	c := r.client(t)
	ctx := context.Background()
	place(t, c, orderReq("EARLY-0001", "http://127.0.0.1:1/n"))
	clock.Advance(5*time.Minute - time.Second)
	_, err := c.CloseOrder(ctx, "EARLY-0001")
	wantErrCode(t, err, wxpay.CodeSystemError, "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟")
	if !wxpay.IsRetryable(err) {
		t.Error("close too early is not retryable for the client")
	}
	clock.Advance(time.Second)
	if _, err := c.CloseOrder(ctx, "EARLY-0001"); err != nil {
		t.Errorf("close at five minutes: %v", err)
	}
}

func TestReentry(t *testing.T) {
	r := manualRig(t)
	md5 := r.client(t, func(cfg *wxpay.Config) { cfg.SignType = wxpay.SignMD5 })
	hmac := r.client(t)
	ctx := context.Background()
	req := orderReq("REENTRY-01", "http://127.0.0.1:1/n")
	req.TimeExpire = t0.Add(15 * time.Minute)
	first, err := md5.UnifiedOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// A retry signs anew, may use the other algorithm and another server IP.
	again := *req
	again.SpbillCreateIP = "10.0.0.2"
	second, err := hmac.UnifiedOrder(ctx, &again)
	if err != nil {
		t.Fatalf("identical re-entry: %v", err)
	}
	if second.PrepayID != first.PrepayID || second.CodeURL != first.CodeURL {
		t.Errorf("re-entry got %s %s, want %s %s", second.PrepayID, second.CodeURL, first.PrepayID, first.CodeURL)
	}
	changes := map[string]func(*wxpay.UnifiedOrderRequest){
		"total_fee":   func(r *wxpay.UnifiedOrderRequest) { r.TotalFee++ },
		"body":        func(r *wxpay.UnifiedOrderRequest) { r.Body += "!" },
		"attach":      func(r *wxpay.UnifiedOrderRequest) { r.Attach = "" },
		"time_expire": func(r *wxpay.UnifiedOrderRequest) { r.TimeExpire = r.TimeExpire.Add(time.Minute) },
		"notify_url":  func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL += "2" },
	}
	for name, change := range changes {
		changed := *req
		change(&changed)
		_, err := md5.UnifiedOrder(ctx, &changed)
		if !wxpay.IsReentryConflict(err) {
			t.Errorf("%s changed: %v, want INVALID_REQUEST", name, err)
			continue
		}
		wantErrCode(t, err, wxpay.CodeInvalidRequest, "201 商户订单号重复")
	}
}

func TestMerchantErrors(t *testing.T) {
	r := manualRig(t)
	tests := []struct {
		name   string
		change func(*wxpay.Config)
		code   string
	}{
		{"unknown mch_id", func(c *wxpay.Config) { c.MchID = "1900000999" }, "MCHID_NOT_EXIST"},
		{"other account's appid", func(c *wxpay.Config) { c.AppID = "wx0123456789abcdef" }, "APPID_MCHID_NOT_MATCH"},
		{"appid that exists nowhere", func(c *wxpay.Config) { c.AppID = "not-an-appid" }, "APPID_NOT_EXIST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.client(t, tt.change).OrderQuery(context.Background(), "ANY-00001")
			wantErrCode(t, err, tt.code, "")
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		for _, st := range []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256} {
			c := r.client(t, func(c *wxpay.Config) { c.APIKey = "0123456789abcdef0123456789abcdef"; c.SignType = st })
			_, err := c.UnifiedOrder(context.Background(), orderReq("KEY-00001", "http://127.0.0.1:1/n"))
			if we := wxErr(t, err); we.ReturnCode != "FAIL" || we.ReturnMsg != "签名错误" {
				t.Errorf("%s: %+v, want return_code=FAIL 签名错误", st, we)
			}
		}
	})
}
