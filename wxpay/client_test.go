package wxpay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

// fakeWeChat is a scripted WeChat Pay: it records every request and answers
// with whatever reply returns.
type fakeWeChat struct {
	mu       sync.Mutex
	requests []wxpay.Params
	paths    []string
	reply    func(w http.ResponseWriter, req wxpay.Params)
}

func newFakeWeChat(tb testing.TB, reply func(w http.ResponseWriter, req wxpay.Params)) (*fakeWeChat, *httptest.Server) {
	tb.Helper()
	f := &fakeWeChat{reply: reply}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := wxpay.Decode(body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, p)
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		f.reply(w, p)
	}))
	tb.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeWeChat) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeWeChat) last(tb testing.TB) (string, wxpay.Params) {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		tb.Fatal("no request reached the fake WeChat")
	}
	return f.paths[len(f.paths)-1], f.requests[len(f.requests)-1]
}

// replyWith answers with the fields WeChat always sends changed by kv (a
// value "-" removes the field; "sign", "-" sends no sign), signed by the
// merchant's key with HMAC-SHA256.
func replyWith(kv ...string) func(http.ResponseWriter, wxpay.Params) {
	return func(w http.ResponseWriter, req wxpay.Params) {
		p := wxpay.Params{"return_code": "SUCCESS", "return_msg": "OK", "appid": testAppID, "mch_id": testMchID,
			"nonce_str": "IITRi8Iabbblz1Jc", "result_code": "SUCCESS"}
		unsigned := false
		for i := 0; i < len(kv); i += 2 {
			switch {
			case kv[i] == "sign" && kv[i+1] == "-":
				unsigned = true
			case kv[i+1] == "-":
				delete(p, kv[i])
			default:
				p[kv[i]] = kv[i+1]
			}
		}
		if !unsigned {
			p["sign"] = refSign(p, testKey, wxpay.SignHMACSHA256)
		}
		w.Write(wxpay.Encode(p))
	}
}

// Times that are not in UTC+8, to show the client converts them.
var (
	newYork = time.FixedZone("EST", -5*3600)
	nowNY   = time.Date(2024, 5, 1, 23, 30, 0, 0, newYork) // 2024-05-02 12:30:00 in Beijing
)

func newTestClient(tb testing.TB, baseURL string, st wxpay.SignType) *wxpay.Client {
	tb.Helper()
	c, err := wxpay.NewClient(wxpay.Config{
		BaseURL: baseURL + "/", AppID: testAppID, MchID: testMchID, APIKey: testKey, SignType: st,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Now:        func() time.Time { return nowNY },
	})
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	return c
}

func goodOrder() *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{
		Body: "小店-咖啡豆 500g", OutTradeNo: "20240502123000000000Ab3dE5fG", TotalFee: 8800,
		SpbillCreateIP: "203.0.113.7", NotifyURL: "https://shop.example.com/wxpay/notify", ProductID: "beans-500",
		Attach: "a&b<c>", TimeStart: nowNY, TimeExpire: nowNY.Add(2 * time.Hour),
	}
}

func TestUnifiedOrderRequest(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignHMACSHA256, wxpay.SignMD5} {
		t.Run(string(st), func(t *testing.T) {
			f, srv := newFakeWeChat(t, replyWith("trade_type", "NATIVE", "prepay_id", "wx2024050212300012345",
				"code_url", "weixin://wxpay/bizpayurl?pr=abcdefg"))
			c := newTestClient(t, srv.URL, st)
			resp, err := c.UnifiedOrder(context.Background(), goodOrder())
			if err != nil {
				t.Fatalf("UnifiedOrder: %v", err)
			}
			if resp.PrepayID != "wx2024050212300012345" || resp.CodeURL != "weixin://wxpay/bizpayurl?pr=abcdefg" {
				t.Errorf("UnifiedOrder = %q, %q", resp.PrepayID, resp.CodeURL)
			}
			path, req := f.last(t)
			want := map[string]string{
				"appid": testAppID, "mch_id": testMchID, "body": "小店-咖啡豆 500g",
				"out_trade_no": "20240502123000000000Ab3dE5fG", "total_fee": "8800", "spbill_create_ip": "203.0.113.7",
				"notify_url": "https://shop.example.com/wxpay/notify", "trade_type": "NATIVE", "product_id": "beans-500",
				"attach": "a&b<c>", "time_start": "20240502123000", "time_expire": "20240502143000", "sign_type": string(st),
			}
			if path != "/pay/unifiedorder" {
				t.Errorf("path = %q, want /pay/unifiedorder", path)
			}
			for k, v := range want {
				if req[k] != v {
					t.Errorf("request %s = %q, want %q", k, req[k], v)
				}
			}
			for _, k := range []string{"detail", "device_info", "fee_type"} {
				if _, ok := req[k]; ok {
					t.Errorf("request carries unset optional field %s", k)
				}
			}
			if len(req["nonce_str"]) != 32 || !wxpay.ValidOutTradeNo(req["nonce_str"]) {
				t.Errorf("nonce_str = %q, want 32 alphanumerics", req["nonce_str"])
			}
			if got, want := req["sign"], refSign(req, testKey, st); got != want {
				t.Errorf("request sign = %s, want %s (%s)", got, want, st)
			}
			x := resp.Exchange
			if x == nil || !bytes.Contains(x.Request, []byte("<out_trade_no>")) || !bytes.Contains(x.Response, []byte("prepay_id")) || x.HTTPStatus != 200 {
				t.Errorf("Exchange = %+v, want request and response bytes and status 200", x)
			}
			if bytes.Contains(x.Request, []byte(testKey)) || bytes.Contains(x.Response, []byte(testKey)) {
				t.Error("Exchange contains the API key")
			}
		})
	}
}

func TestUnifiedOrderNonceFresh(t *testing.T) {
	f, srv := newFakeWeChat(t, replyWith("prepay_id", "wx1", "code_url", "weixin://wxpay/bizpayurl?pr=a"))
	c := newTestClient(t, srv.URL, wxpay.SignHMACSHA256)
	for range 2 {
		if _, err := c.UnifiedOrder(context.Background(), goodOrder()); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := f.requests[0]["nonce_str"], f.requests[1]["nonce_str"]; a == b {
		t.Errorf("two calls sent the same nonce_str %q", a)
	}
}

func TestUnifiedOrderValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *wxpay.UnifiedOrderRequest)
	}{
		{"short out_trade_no", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "12345" }},
		{"bad char in out_trade_no", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "order#12345" }},
		{"long out_trade_no", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = strings.Repeat("1", 33) }},
		{"empty body", func(r *wxpay.UnifiedOrderRequest) { r.Body = "" }},
		{"body too long", func(r *wxpay.UnifiedOrderRequest) { r.Body = strings.Repeat("咖", 43) }}, // 129 bytes
		{"zero fee", func(r *wxpay.UnifiedOrderRequest) { r.TotalFee = 0 }},
		{"negative fee", func(r *wxpay.UnifiedOrderRequest) { r.TotalFee = -1 }},
		{"notify_url with query", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://shop.example.com/notify?order=1" }},
		{"notify_url with empty query", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://shop.example.com/notify?" }},
		{"relative notify_url", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "/wxpay/notify" }},
		{"notify_url not http", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "ftp://shop.example.com/notify" }},
		{"notify_url too long", func(r *wxpay.UnifiedOrderRequest) {
			r.NotifyURL = "https://shop.example.com/" + strings.Repeat("a", 240)
		}},
		{"missing product_id", func(r *wxpay.UnifiedOrderRequest) { r.ProductID = "" }},
		{"long product_id", func(r *wxpay.UnifiedOrderRequest) { r.ProductID = strings.Repeat("p", 33) }},
		{"bad ip", func(r *wxpay.UnifiedOrderRequest) { r.SpbillCreateIP = "localhost" }},
		{"long attach", func(r *wxpay.UnifiedOrderRequest) { r.Attach = strings.Repeat("a", 128) }},
		{"time_expire in 59 s", func(r *wxpay.UnifiedOrderRequest) { r.TimeExpire = nowNY.Add(59 * time.Second) }},
		{"time_expire past", func(r *wxpay.UnifiedOrderRequest) { r.TimeExpire = nowNY.Add(-time.Hour) }},
	}
	f, srv := newFakeWeChat(t, replyWith("prepay_id", "wx1", "code_url", "weixin://wxpay/bizpayurl?pr=a"))
	c := newTestClient(t, srv.URL, wxpay.SignHMACSHA256)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodOrder()
			tt.change(r)
			_, err := c.UnifiedOrder(context.Background(), r)
			if !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Errorf("UnifiedOrder = %v, want ErrInvalidParam", err)
			}
			if wxpay.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true for a request never sent", err)
			}
		})
	}
	if n := f.count(); n != 0 {
		t.Errorf("%d invalid requests reached WeChat, want 0", n)
	}
	r := goodOrder()
	r.Body = strings.Repeat("咖", 42) // 126 bytes
	r.TimeExpire = nowNY.Add(time.Minute)
	if _, err := c.UnifiedOrder(context.Background(), r); err != nil {
		t.Errorf("UnifiedOrder at the limits = %v, want nil", err)
	}
}

func TestCallReplies(t *testing.T) {
	otherSigned := func(w http.ResponseWriter, _ wxpay.Params) {
		p := wxpay.Params{"return_code": "SUCCESS", "appid": testAppID, "mch_id": testMchID, "result_code": "SUCCESS",
			"prepay_id": "wx1", "code_url": "weixin://wxpay/bizpayurl?pr=a"}
		p["sign"] = refSign(p, "another-merchant-key", wxpay.SignHMACSHA256)
		w.Write(wxpay.Encode(p))
	}
	tests := []struct {
		name      string
		reply     func(http.ResponseWriter, wxpay.Params)
		wantWxErr bool  // *wxpay.Error (WeChat said no)
		wantIn    error // wrapped error, when a *TransportError
		check     func(error) bool
		retryable bool
	}{
		{name: "return FAIL", reply: replyWith("return_code", "FAIL", "return_msg", "签名错误", "sign", "-"), wantWxErr: true,
			check: func(err error) bool {
				var we *wxpay.Error
				return errors.As(err, &we) && we.ReturnMsg == "签名错误"
			}},
		{name: "ORDERPAID", reply: replyWith("result_code", "FAIL", "err_code", "ORDERPAID", "err_code_des", "该订单已支付"), wantWxErr: true,
			check: wxpay.IsOrderPaid},
		{name: "ORDERCLOSED", reply: replyWith("result_code", "FAIL", "err_code", "ORDERCLOSED", "err_code_des", "订单已关闭"), wantWxErr: true,
			check: wxpay.IsOrderClosed},
		{name: "SYSTEMERROR", reply: replyWith("result_code", "FAIL", "err_code", "SYSTEMERROR", "err_code_des", "系统错误"), wantWxErr: true,
			check: func(err error) bool { return wxpay.ErrCode(err) == "SYSTEMERROR" }, retryable: true},
		{name: "INVALID_REQUEST", reply: replyWith("result_code", "FAIL", "err_code", "INVALID_REQUEST", "err_code_des", "201 商户订单号重复"), wantWxErr: true,
			check: wxpay.IsReentryConflict},
		{name: "unsigned SUCCESS", reply: replyWith("sign", "-", "prepay_id", "wx1", "code_url", "weixin://a"), wantIn: wxpay.ErrSignMissing, retryable: true},
		{name: "badly signed SUCCESS", reply: otherSigned, wantIn: wxpay.ErrBadSign, retryable: true},
		{name: "unsigned result FAIL", reply: replyWith("sign", "-", "result_code", "FAIL", "err_code", "ORDERPAID"), wantIn: wxpay.ErrSignMissing, retryable: true},
		{name: "other appid", reply: replyWith("appid", "wx0000000000000000", "prepay_id", "wx1", "code_url", "weixin://a"), wantIn: wxpay.ErrMerchantMismatch, retryable: true},
		{name: "other mch_id", reply: replyWith("mch_id", "1", "prepay_id", "wx1", "code_url", "weixin://a"), wantIn: wxpay.ErrMerchantMismatch, retryable: true},
		{name: "HTTP 500", reply: func(w http.ResponseWriter, _ wxpay.Params) { http.Error(w, "oops", 500) }, retryable: true},
		{name: "HTML 200", reply: func(w http.ResponseWriter, _ wxpay.Params) { w.Write([]byte("<html>busy</html>")) }, wantIn: wxpay.ErrMalformedXML, retryable: true},
		{name: "no return_code", reply: replyWith("return_code", "-", "sign", "-"), retryable: true},
		{name: "huge reply", reply: func(w http.ResponseWriter, _ wxpay.Params) {
			w.Write([]byte("<xml><a>" + strings.Repeat("x", wxpay.MaxBodySize) + "</a></xml>"))
		}, wantIn: wxpay.ErrTooLarge, retryable: true},
		{name: "success without code_url", reply: replyWith("prepay_id", "wx1"), retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFakeWeChat(t, tt.reply)
			c := newTestClient(t, srv.URL, wxpay.SignHMACSHA256)
			resp, err := c.UnifiedOrder(context.Background(), goodOrder())
			if err == nil {
				t.Fatalf("UnifiedOrder = %+v, nil; want an error", resp)
			}
			var we *wxpay.Error
			if got := errors.As(err, &we); got != tt.wantWxErr {
				t.Errorf("errors.As(%v, *wxpay.Error) = %v, want %v", err, got, tt.wantWxErr)
			}
			if got := wxpay.IsTransport(err); got == tt.wantWxErr {
				t.Errorf("IsTransport(%v) = %v, want %v", err, got, !tt.wantWxErr)
			}
			if tt.wantIn != nil && !errors.Is(err, tt.wantIn) {
				t.Errorf("UnifiedOrder = %v, want it to wrap %v", err, tt.wantIn)
			}
			if tt.check != nil && !tt.check(err) {
				t.Errorf("UnifiedOrder = %#v: helper check failed", err)
			}
			if got := wxpay.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
			}
			x := wxpay.ExchangeOf(err)
			if x == nil || len(x.Request) == 0 || x.URL != srv.URL+"/pay/unifiedorder" {
				t.Fatalf("ExchangeOf(%v) = %+v, want the request recorded", err, x)
			}
			if len(x.Response) == 0 || x.HTTPStatus == 0 {
				t.Errorf("Exchange response = %d bytes, status %d; want recorded", len(x.Response), x.HTTPStatus)
			}
			if bytes.Contains(x.Request, []byte(testKey)) || strings.Contains(err.Error(), testKey) {
				t.Error("the API key leaked into the exchange or the error")
			}
		})
	}
}

func TestCallTimeout(t *testing.T) {
	release := make(chan struct{})
	_, srv := newFakeWeChat(t, func(w http.ResponseWriter, _ wxpay.Params) { <-release })
	t.Cleanup(func() { close(release) }) // runs before srv.Close: unblock the handler first

	c := newTestClient(t, srv.URL, wxpay.SignHMACSHA256)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.OrderQuery(ctx, "20240502123000000000Ab3dE5fG")
	if !wxpay.IsTransport(err) || !wxpay.IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OrderQuery past its deadline = %v, want a retryable TransportError wrapping DeadlineExceeded", err)
	}

	short, err := wxpay.NewClient(wxpay.Config{BaseURL: srv.URL, AppID: testAppID, MchID: testMchID, APIKey: testKey,
		HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = short.CloseOrder(context.Background(), "20240502123000000000Ab3dE5fG")
	if !wxpay.IsTransport(err) || !wxpay.IsRetryable(err) {
		t.Errorf("CloseOrder past the client timeout = %v, want a retryable TransportError", err)
	}
}

func TestOrderQuery(t *testing.T) {
	const no = "20240502123000000000Ab3dE5fG"
	tests := []struct {
		name  string
		reply func(http.ResponseWriter, wxpay.Params)
		check func(t *testing.T, r *wxpay.OrderQueryResponse)
	}{
		{"paid", replyWith("out_trade_no", no, "trade_state", "SUCCESS", "transaction_id", "4200000001", "total_fee", "8800",
			"cash_fee", "8000", "time_end", "20240502123501", "openid", "oUser", "bank_type", "CMB_CREDIT", "coupon_fee_0", "800"),
			func(t *testing.T, r *wxpay.OrderQueryResponse) {
				end := time.Date(2024, 5, 2, 4, 35, 1, 0, time.UTC)
				if !r.Paid() || r.TotalFee != 8800 || r.CashFee != 8000 || r.TransactionID != "4200000001" ||
					!r.TimeEnd.Equal(end) || r.OpenID != "oUser" || r.BankType != "CMB_CREDIT" || r.Fields["coupon_fee_0"] != "800" {
					t.Errorf("paid OrderQuery = %+v", r)
				}
			}},
		{"notpay", replyWith("out_trade_no", no, "trade_state", "NOTPAY", "trade_state_desc", "订单未支付"),
			func(t *testing.T, r *wxpay.OrderQueryResponse) {
				if r.Paid() || r.TradeState != wxpay.TradeNotPay || r.TotalFee != 0 || r.TransactionID != "" || !r.TimeEnd.IsZero() {
					t.Errorf("unpaid OrderQuery = %+v", r)
				}
			}},
		{"closed with stray payment fields", replyWith("out_trade_no", no, "trade_state", "CLOSED", "total_fee", "8800",
			"transaction_id", "4200000001", "openid", "oUser", "time_end", "20240502123501"),
			func(t *testing.T, r *wxpay.OrderQueryResponse) {
				if r.Paid() || r.TotalFee != 0 || r.TransactionID != "" || r.OpenID != "" || !r.TimeEnd.IsZero() {
					t.Errorf("closed OrderQuery parsed payment fields: %+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeWeChat(t, tt.reply)
			c := newTestClient(t, srv.URL, wxpay.SignMD5)
			r, err := c.OrderQuery(context.Background(), no)
			if err != nil {
				t.Fatalf("OrderQuery: %v", err)
			}
			tt.check(t, r)
			path, req := f.last(t)
			if path != "/pay/orderquery" || req["out_trade_no"] != no || req["sign"] != refSign(req, testKey, wxpay.SignMD5) {
				t.Errorf("orderquery request %s %q", path, req)
			}
		})
	}

	t.Run("paid without transaction_id", func(t *testing.T) {
		_, srv := newFakeWeChat(t, replyWith("out_trade_no", no, "trade_state", "SUCCESS", "total_fee", "8800"))
		_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).OrderQuery(context.Background(), no)
		if !wxpay.IsTransport(err) {
			t.Errorf("OrderQuery = %v, want a TransportError", err)
		}
	})
	t.Run("reply for another order", func(t *testing.T) {
		_, srv := newFakeWeChat(t, replyWith("out_trade_no", "other123456", "trade_state", "NOTPAY"))
		_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).OrderQuery(context.Background(), no)
		if !wxpay.IsTransport(err) {
			t.Errorf("OrderQuery = %v, want a TransportError", err)
		}
	})
	t.Run("ORDERNOTEXIST", func(t *testing.T) {
		_, srv := newFakeWeChat(t, replyWith("result_code", "FAIL", "err_code", "ORDERNOTEXIST", "err_code_des", "此交易订单号不存在"))
		_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).OrderQuery(context.Background(), no)
		if !wxpay.IsOrderNotExist(err) || wxpay.IsRetryable(err) {
			t.Errorf("OrderQuery = %v, want IsOrderNotExist and not retryable", err)
		}
	})
	t.Run("invalid out_trade_no", func(t *testing.T) {
		c := newTestClient(t, "http://127.0.0.1:1", wxpay.SignHMACSHA256)
		if _, err := c.OrderQuery(context.Background(), "bad no"); !errors.Is(err, wxpay.ErrInvalidParam) {
			t.Errorf("OrderQuery(bad no) = %v, want ErrInvalidParam", err)
		}
		if _, err := c.CloseOrder(context.Background(), "bad no"); !errors.Is(err, wxpay.ErrInvalidParam) {
			t.Errorf("CloseOrder(bad no) = %v, want ErrInvalidParam", err)
		}
	})
}

func TestCloseOrder(t *testing.T) {
	const no = "20240502123000000000Ab3dE5fG"
	f, srv := newFakeWeChat(t, replyWith())
	c := newTestClient(t, srv.URL, wxpay.SignHMACSHA256)
	if _, err := c.CloseOrder(context.Background(), no); err != nil {
		t.Fatalf("CloseOrder: %v", err)
	}
	path, req := f.last(t)
	if path != "/pay/closeorder" || req["out_trade_no"] != no || req["sign_type"] != "HMAC-SHA256" {
		t.Errorf("closeorder request %s %q", path, req)
	}

	_, srv = newFakeWeChat(t, replyWith("result_code", "FAIL", "err_code", "ORDERPAID", "err_code_des", "订单已支付"))
	_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).CloseOrder(context.Background(), no)
	if !wxpay.IsOrderPaid(err) || wxpay.IsTransport(err) {
		t.Errorf("CloseOrder of a paid order = %v, want IsOrderPaid", err)
	}
}

func TestNewClientConfig(t *testing.T) {
	base := wxpay.Config{AppID: testAppID, MchID: testMchID, APIKey: testKey}
	tests := []struct {
		name   string
		change func(c *wxpay.Config)
		ok     bool
	}{
		{"defaults", func(*wxpay.Config) {}, true},
		{"md5", func(c *wxpay.Config) { c.SignType = wxpay.SignMD5 }, true},
		{"no appid", func(c *wxpay.Config) { c.AppID = "" }, false},
		{"no mch_id", func(c *wxpay.Config) { c.MchID = "" }, false},
		{"no key", func(c *wxpay.Config) { c.APIKey = "" }, false},
		{"bad sign type", func(c *wxpay.Config) { c.SignType = "SHA1" }, false},
	}
	for _, tt := range tests {
		cfg := base
		tt.change(&cfg)
		c, err := wxpay.NewClient(cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: NewClient = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err == nil && (c.AppID() != testAppID || c.MchID() != testMchID) {
			t.Errorf("%s: AppID, MchID = %q, %q", tt.name, c.AppID(), c.MchID())
		}
	}
}
