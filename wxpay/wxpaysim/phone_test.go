package wxpaysim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

func get(tb testing.TB, u string) (int, string) {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(tb testing.TB, u string, form url.Values) (int, string) {
	tb.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func scan(tb testing.TB, r *rig, code, action string) (int, string) {
	tb.Helper()
	return postForm(tb, r.ts.URL+"/scan", url.Values{"code_url": {code}, "action": {action}})
}

func TestPhonePageShowsOrder(t *testing.T) {
	r := manualRig(t)
	code := place(t, r.client(t), orderReq("PHONE-0001", "http://127.0.0.1:1/n"))
	status, page := get(t, r.ts.URL+"/scan?code_url="+url.QueryEscape(code))
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	for _, want := range []string{"¥12.34", "测试商品", "PHONE-0001", wxpaysim.DemoMchID, "演示商户",
		`lang="zh-CN"`, `name="viewport"`, `action="/scan"`, `value="pay"`, `value="cancel"`,
		"2025-03-01 12:00:00"} { // code_url valid two hours, shown in Beijing time
		contains(t, page, want)
	}
	if regexp.MustCompile(`(src|href)="https?:`).MatchString(page) || strings.Contains(page, "<script") {
		t.Error("phone page loads external assets or scripts")
	}
	if _, page := get(t, r.ts.URL+"/scan"); !strings.Contains(page, `name="code_url"`) {
		t.Error("no code_url: want a form to paste one")
	}
}

func TestPhonePay(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	c := r.client(t)
	code := place(t, c, orderReq("PHONE-0002", m.url()))
	status, page := scan(t, r, code, "pay")
	if status != http.StatusOK {
		t.Fatalf("HTTP %d: %s", status, page)
	}
	contains(t, page, "支付成功")
	contains(t, page, `data-result="paid"`)
	q, err := c.OrderQuery(context.Background(), "PHONE-0002")
	if err != nil || !q.Paid() {
		t.Fatalf("after paying on the phone: %v %v", q, err)
	}
	contains(t, page, q.TransactionID)
	eventually(t, "the notification", func() bool { return len(m.received()) == 1 })

	status, page = scan(t, r, code, "pay")
	if status != http.StatusConflict || !strings.Contains(page, "订单已支付") || strings.Contains(page, `value="pay"`) {
		t.Errorf("paying twice: HTTP %d\n%s", status, page)
	}
	if _, page := get(t, r.ts.URL+"/scan?code_url="+url.QueryEscape(code)); !strings.Contains(page, "订单已支付") {
		t.Error("scanning a paid order does not say so")
	}
}

func TestPhoneRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(r *rig, c *wxpay.Client, req *wxpay.UnifiedOrderRequest)
		status  int
		want    string
	}{
		{"closed", func(r *rig, c *wxpay.Client, req *wxpay.UnifiedOrderRequest) {
			if _, err := c.CloseOrder(context.Background(), req.OutTradeNo); err != nil {
				panic(err)
			}
		}, http.StatusConflict, "订单已关闭"},
		{"code_url two hours old", func(r *rig, _ *wxpay.Client, _ *wxpay.UnifiedOrderRequest) {
			r.clock.Advance(2 * time.Hour)
		}, http.StatusConflict, "二维码已过期"},
		{"past time_expire", func(r *rig, _ *wxpay.Client, _ *wxpay.UnifiedOrderRequest) {
			r.clock.Advance(15 * time.Minute)
		}, http.StatusConflict, "订单已过期"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := manualRig(t)
			c := r.client(t)
			req := orderReq("REFUSE-001", "http://127.0.0.1:1/n")
			req.TimeExpire = t0.Add(15 * time.Minute)
			code := place(t, c, req)
			tt.prepare(r, c, req)
			_, page := get(t, r.ts.URL+"/scan?code_url="+url.QueryEscape(code))
			if !strings.Contains(page, tt.want) || strings.Contains(page, `value="pay"`) {
				t.Errorf("scan page does not refuse with %q:\n%s", tt.want, page)
			}
			status, page := scan(t, r, code, "pay")
			if status != tt.status || !strings.Contains(page, tt.want) || strings.Contains(page, "支付成功") {
				t.Errorf("pay: HTTP %d, want %d with %q:\n%s", status, tt.status, tt.want, page)
			}
			if o, _ := r.sim.Order("REFUSE-001"); o.TradeState == wxpay.TradeSuccess {
				t.Error("refused payment marked the order paid")
			}
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		r := manualRig(t)
		status, page := scan(t, r, "weixin://wxpay/bizpayurl?pr=nope123", "pay")
		if status != http.StatusNotFound || !strings.Contains(page, "二维码无效") {
			t.Errorf("HTTP %d:\n%s", status, page)
		}
	})
}

func TestPhoneCancel(t *testing.T) {
	r := manualRig(t)
	code := place(t, r.client(t), orderReq("PHONE-0003", "http://127.0.0.1:1/n"))
	status, page := scan(t, r, code, "cancel")
	if status != http.StatusOK || !strings.Contains(page, "已取消支付") {
		t.Errorf("cancel: HTTP %d\n%s", status, page)
	}
	if o, _ := r.sim.Order("PHONE-0003"); o.TradeState != wxpay.TradeNotPay {
		t.Errorf("after cancel: %s, want NOTPAY", o.TradeState)
	}
	if status, _ := scan(t, r, code, "steal"); status != http.StatusBadRequest {
		t.Errorf("unknown action: HTTP %d", status)
	}
}

// TestMountedUnderPrefix: mounted at /sim like in the app, the page's form
// posts to /sim/scan and the API answers under /sim.
func TestMountedUnderPrefix(t *testing.T) {
	sim := wxpaysim.New(wxpaysim.Options{BasePath: "/sim/"})
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", sim))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { sim.Close(); ts.Close() })
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: ts.URL + "/sim", AppID: wxpaysim.DemoAppID,
		MchID: wxpaysim.DemoMchID, APIKey: wxpaysim.DemoAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	code := place(t, c, orderReq("MOUNT-0001", "http://127.0.0.1:1/n"))
	_, page := get(t, ts.URL+"/sim/scan?code_url="+url.QueryEscape(code))
	contains(t, page, `action="/sim/scan"`)
	status, page := postForm(t, ts.URL+"/sim/scan", url.Values{"code_url": {code}, "action": {"pay"}})
	if status != http.StatusOK || !strings.Contains(page, "支付成功") {
		t.Errorf("pay under /sim: HTTP %d", status)
	}
}
