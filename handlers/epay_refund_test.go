package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// epayRefundPost posts act=refund with params.
func epayRefundPost(t *testing.T, r *testrig.Rig, params url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.App.URL+"/api.php?act=refund", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return epayJSON(t, r, req)
}

// epayPaidOrder places an epay order of app through mapi.php and pays it.
func epayPaidOrder(t *testing.T, r *testrig.Rig, app *models.MerchantApp, outTradeNo, money string) *models.Order {
	t.Helper()
	m := mapiPost(t, r, mapiForm(app, order(outTradeNo, money), ""), false)
	wantCode(t, "mapi.php", m, 1, "")
	return payBySync(t, r, r.Order(t, m["trade_no"].(string)))
}

func wantRefunded(t *testing.T, what string, m map[string]any) {
	t.Helper()
	if m["code"] != 1.0 || m["msg"] != "退款成功" || len(m) != 2 {
		t.Fatalf("%s: %v, want {code:1, msg:退款成功}", what, m)
	}
}

func TestEpayRefund(t *testing.T) {
	r, f := refundRig(t)
	app, other := r.MerchantApp(t, "shop"), r.MerchantApp(t, "other")
	o := epayPaidOrder(t, r, app, "Q-1", "58")
	pid := strconv.FormatInt(app.Pid, 10)
	refund := func(extra ...string) url.Values {
		v := url.Values{"pid": {pid}, "key": {app.Key}, "trade_no": {o.OutTradeNo}, "money": {"10"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name   string
		params url.Values
		want   string
	}{
		{"wrong key", refund("key", other.Key), "商户密钥错误"},
		{"unknown pid", refund("pid", "999999"), "商户不存在"},
		{"no money", refund("money", ""), "缺少参数 money"},
		{"money with three decimals", refund("money", "1.234"), "金额格式错误"},
		{"zero money", refund("money", "0"), "金额格式错误"},
		{"negative money", refund("money", "-1"), "金额格式错误"},
		{"text money", refund("money", "ten"), "金额格式错误"},
		{"over the paid amount", refund("money", "58.01"), "不超过可退金额"},
		{"unknown order", refund("trade_no", "NOSUCHORDER"), "订单不存在"},
		{"another app's order", refund("pid", strconv.FormatInt(other.Pid, 10), "key", other.Key), "订单不存在"},
		{"bad out_refund_no", refund("out_refund_no", "has space"), "out_refund_no"},
	} {
		m := epayRefundPost(t, r, tt.params)
		wantCode(t, tt.name, m, -1, tt.want)
	}
	if m := apiGet(t, r, refund("act", "refund")); m["code"] != -1.0 || m["msg"] != "请使用 POST 提交" {
		t.Fatalf("GET act=refund: %v", m)
	}
	if f.Sent() != 0 {
		t.Fatalf("refused requests reached WeChat: %+v", f.sent)
	}

	wantRefunded(t, "first", epayRefundPost(t, r, refund()))
	if f.Sent() != 1 || f.sent[0].RefundFee != 1000 {
		t.Fatalf("sent %+v", f.sent)
	}
	// The same order and money within 24 h is the same refund, by trade_no
	// or the merchant's out_trade_no, and money written either way.
	r.Clock.Advance(23*time.Hour + 58*time.Minute)
	wantRefunded(t, "again", epayRefundPost(t, r, refund("money", "10.00")))
	wantRefunded(t, "again by out_trade_no", epayRefundPost(t, r, url.Values{"pid": {pid}, "key": {app.Key}, "out_trade_no": {"Q-1"}, "money": {"10"}}))
	if f.Sent() != 1 || len(refundsOf(t, r, o.OutTradeNo)) != 1 {
		t.Fatalf("an identical request within 24 h made another refund: %d sent", f.Sent())
	}
	// Another amount is another refund; the same after 24 h, too.
	wantRefunded(t, "another amount", epayRefundPost(t, r, refund("money", "5")))
	r.Clock.Advance(3 * time.Minute)
	wantRefunded(t, "after 24 h", epayRefundPost(t, r, refund()))
	if f.Sent() != 3 || len(refundsOf(t, r, o.OutTradeNo)) != 3 {
		t.Fatalf("%d sent, want 3", f.Sent())
	}

	// With out_refund_no: the merchant's number decides.
	wantRefunded(t, "numbered", epayRefundPost(t, r, refund("out_refund_no", "RF-1", "money", "1")))
	wantRefunded(t, "numbered again", epayRefundPost(t, r, refund("out_refund_no", "RF-1", "money", "1")))
	wantCode(t, "numbered, another amount", epayRefundPost(t, r, refund("out_refund_no", "RF-1", "money", "2")), -1, "退款单号重复")
	if f.Sent() != 4 {
		t.Fatalf("%d sent, want 4", f.Sent())
	}
	if got := r.Order(t, o.OutTradeNo); got.Refundable() != 5800-1000-500-1000-100 {
		t.Fatalf("refundable ¥%s", got.Refundable().Yuan())
	}
}

func TestEpayRefundRefusedByWeChatMayBeAskedAgain(t *testing.T) {
	r, f := refundRig(t)
	app := r.MerchantApp(t, "shop")
	o := epayPaidOrder(t, r, app, "Q-1", "58")
	params := url.Values{"pid": {strconv.FormatInt(app.Pid, 10)}, "key": {app.Key}, "trade_no": {o.OutTradeNo}, "money": {"58"}}
	f.setRefund(refuseRefund)
	wantCode(t, "refused", epayRefundPost(t, r, params), -1, "微信支付拒绝了退款：")
	// A CLOSED refund refunded nothing: the same request is a new refund.
	f.setRefund(acceptRefund)
	wantRefunded(t, "asked again", epayRefundPost(t, r, params))
	rs := refundsOf(t, r, o.OutTradeNo)
	if f.Sent() != 2 || len(rs) != 2 || rs[0].Status != models.RefundClosed || rs[1].Status != models.RefundProcessing ||
		*rs[0].MerchantRefundNo == *rs[1].MerchantRefundNo {
		t.Fatalf("%d sent, refunds %+v", f.Sent(), rs)
	}
}

func TestEpayIdenticalRefundsAtOnceAreOneRefund(t *testing.T) {
	r, f := refundRig(t)
	app := r.MerchantApp(t, "shop")
	o := epayPaidOrder(t, r, app, "Q-1", "58")
	params := url.Values{"pid": {strconv.FormatInt(app.Pid, 10)}, "key": {app.Key}, "trade_no": {o.OutTradeNo}, "money": {"3"}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := http.PostForm(r.App.URL+"/api.php?act=refund", params)
			if err != nil {
				t.Error(err)
				return
			}
			body := testrig.ReadAll(t, resp)
			if !strings.Contains(body, `"code":1`) {
				t.Errorf("reply %s", body)
			}
		})
	}
	wg.Wait()
	if f.Sent() != 1 || len(refundsOf(t, r, o.OutTradeNo)) != 1 {
		t.Fatalf("8 identical requests at once: %d sent", f.Sent())
	}
}
