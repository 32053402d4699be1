package wxpay_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

// Every call is observed once with its API and result: SUCCESS, WeChat's
// err_code, FAIL for return_code=FAIL, TRANSPORT when the outcome is
// unknown (an unsigned reply here).
func TestObserveSeesEveryCall(t *testing.T) {
	var reply func(http.ResponseWriter, wxpay.Params)
	_, srv := newFakeWeChat(t, func(w http.ResponseWriter, p wxpay.Params) { reply(w, p) })
	var mu sync.Mutex
	var got []string
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: srv.URL, AppID: testAppID, MchID: testMchID, APIKey: testKey,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}, Now: func() time.Time { return nowNY },
		Observe: func(op, result string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d < 0 {
				t.Errorf("%s: negative duration %v", op, d)
			}
			got = append(got, op+" "+result)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reply = replyWith("prepay_id", "wx1", "code_url", "weixin://wxpay/bizpayurl?pr=a", "trade_type", "NATIVE")
	if _, err := c.UnifiedOrder(ctx, goodOrder()); err != nil {
		t.Fatal(err)
	}
	reply = replyWith("result_code", "FAIL", "err_code", "ORDERNOTEXIST", "err_code_des", "订单不存在")
	c.OrderQuery(ctx, "20240502123000000000Ab3dE5fG")
	reply = replyWith("return_code", "FAIL", "return_msg", "签名错误", "sign", "-")
	c.CloseOrder(ctx, "20240502123000000000Ab3dE5fG")
	reply = replyWith("sign", "-")
	c.OrderQuery(ctx, "20240502123000000000Ab3dE5fG")
	want := []string{"unifiedorder SUCCESS", "orderquery ORDERNOTEXIST", "closeorder FAIL", "orderquery TRANSPORT"}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("observed %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d observed %q, want %q", i, got[i], want[i])
		}
	}
}
