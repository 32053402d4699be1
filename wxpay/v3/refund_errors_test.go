package wxpayv3_test

import (
	"context"
	"testing"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

func refundCall(fee int64) call {
	return func(ctx context.Context, c *wxpayv3.Client) error {
		_, err := c.Refund(ctx, refundOf(fee))
		return err
	}
}

func queryRefundCall(ctx context.Context, c *wxpayv3.Client) error {
	_, err := c.QueryRefund(ctx, refundNo)
	return err
}

// paid8800 places errNo for 8800 fen and pays it, then runs more, if any.
func paid8800(more func(f *fakeWeChat, c *wxpayv3.Client)) func(f *fakeWeChat, c *wxpayv3.Client) {
	return func(f *fakeWeChat, c *wxpayv3.Client) {
		if err := nativeCall(8800)(context.Background(), c); err != nil {
			panic(err)
		}
		f.pay(errNo)
		if more != nil {
			more(f, c)
		}
	}
}

// refunded100 is paid8800 with refund refundNo of 100 fen made.
var refunded100 = paid8800(func(_ *fakeWeChat, c *wxpayv3.Client) {
	if err := refundCall(100)(context.Background(), c); err != nil {
		panic(err)
	}
})

// refundReply is a refund reply as WeChat writes it, edited.
func refundReply(edit func(r map[string]any)) map[string]any {
	r := map[string]any{"refund_id": "50300000012024112300000000001", "out_refund_no": refundNo,
		"transaction_id": "4200002345202411230000000001", "out_trade_no": errNo, "status": "PROCESSING",
		"create_time": "2024-11-23T16:00:00+08:00",
		"amount":      map[string]any{"total": 8800, "refund": 100, "payer_total": 8800, "payer_refund": 100, "currency": "CNY"}}
	edit(r)
	return r
}

func refundErrCases() []errCase {
	amount := func(k string, v any) func(r map[string]any) {
		return func(r map[string]any) { r["amount"].(map[string]any)[k] = v }
	}
	set := func(k string, v any) func(r map[string]any) { return func(r map[string]any) { r[k] = v } }
	return []errCase{
		{name: "refund of an unknown order: RESOURCE_NOT_EXISTS 404", call: refundCall(100), answered: true, status: 404, code: "RESOURCE_NOT_EXISTS"},
		{name: "query of an unknown refund: RESOURCE_NOT_EXISTS 404", setup: paid8800(nil), call: queryRefundCall, answered: true, status: 404, code: "RESOURCE_NOT_EXISTS"},
		{name: "refund of an unpaid order", setup: withOrder(nil), call: refundCall(1), answered: true, status: 400, code: "INVALID_REQUEST"},
		{name: "the same out_refund_no with another amount", setup: refunded100, call: refundCall(200), answered: true, status: 400, code: "INVALID_REQUEST"},
		{name: "NOT_ENOUGH 403 is answered: nothing refunded", setup: knob(func(f *fakeWeChat) { f.fail = &fakeFail{403, "NOT_ENOUGH", "余额不足"} }),
			call: refundCall(100), answered: true, status: 403, code: "NOT_ENOUGH"},
		{name: "SIGN_ERROR 401 on refund", editCfg: func(k *testKeys, cfg *wxpayv3.Config) { cfg.Signer.Key = k.platform },
			call: refundCall(100), answered: true, status: 401, code: "SIGN_ERROR"},
		{name: "SYSTEM_ERROR 500 on refund: unknown outcome", setup: knob(func(f *fakeWeChat) { f.fail = &fakeFail{500, "SYSTEM_ERROR", "系统超时"} }),
			call: refundCall(100), status: 500, code: "SYSTEM_ERROR", retryable: true},
		{name: "SYSTEM_ERROR 500 on refund query", setup: knob(func(f *fakeWeChat) { f.fail = &fakeFail{500, "SYSTEM_ERROR", "系统超时"} }),
			call: queryRefundCall, status: 500, code: "SYSTEM_ERROR", retryable: true},
		{name: "503 from a proxy on refund", setup: replyWith(503, "<html>busy</html>"), call: refundCall(100), status: 503, retryable: true},
		{name: "refund reply with a bad signature", setup: paid8800(knob(func(f *fakeWeChat) { f.tamper = "badsig" })), call: refundCall(100),
			status: 200, retryable: true, is: wxpayv3.ErrBadSignature},
		{name: "refund query reply unsigned", setup: paid8800(knob(func(f *fakeWeChat) { f.tamper = "nosig" })), call: queryRefundCall,
			status: 404, retryable: true, is: wxpayv3.ErrMissingHeader},
		{name: "refund reply for another out_refund_no", setup: replyWith(200, refundReply(set("out_refund_no", "R2"))), call: refundCall(100),
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "refund reply for another order", setup: replyWith(200, refundReply(set("out_trade_no", "20241123150405000000Ab3dE5fX"))),
			call: refundCall(100), status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "refund reply for another amount", setup: replyWith(200, refundReply(amount("refund", 200))), call: refundCall(100),
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "query reply for another out_refund_no", setup: replyWith(200, refundReply(set("out_refund_no", "R2"))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "refund reply with an unknown status", setup: replyWith(200, refundReply(set("status", "DONE"))), call: refundCall(100),
			status: 200, retryable: true, is: wxpay.ErrInvalidParam},
		{name: "refund reply without refund_id", setup: replyWith(200, refundReply(set("refund_id", ""))), call: refundCall(100),
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "SUCCESS without success_time", setup: replyWith(200, refundReply(set("status", "SUCCESS"))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "bad success_time", setup: replyWith(200, refundReply(set("success_time", "20241123160005"))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "refund amount as a string", setup: replyWith(200, refundReply(amount("refund", "100"))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "refund over the order's total", setup: replyWith(200, refundReply(amount("total", 99))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "another currency", setup: replyWith(200, refundReply(amount("currency", "USD"))), call: queryRefundCall,
			status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "empty 200", setup: replyWith(200, map[string]any{}), call: refundCall(100), status: 200, retryable: true, is: wxpayv3.ErrMalformed},
	}
}

func TestRefundCallErrors(t *testing.T) {
	for _, tt := range refundErrCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			cfg := f.keys.config(f.srv.URL)
			if tt.editCfg != nil {
				tt.editCfg(f.keys, &cfg)
			}
			c := newClient(t, cfg)
			if tt.setup != nil {
				tt.setup(f, newClient(t, f.keys.config(f.srv.URL)))
			}
			checkCallError(t, tt.call(context.Background(), c), tt)
		})
	}
}
