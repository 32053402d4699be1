package wxpayv3_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

func TestNewClientRefusesBadConfig(t *testing.T) {
	k := loadKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(c *wxpayv3.Config)
		wantIn  string
		wantErr error
	}{
		{"no appid", func(c *wxpayv3.Config) { c.AppID = "" }, "AppID", nil},
		{"no mchid", func(c *wxpayv3.Config) { c.MchID = "" }, "MchID", nil},
		{"no private key", func(c *wxpayv3.Config) { c.Signer.Key = nil }, "private key", wxpayv3.ErrBadKey},
		{"1024-bit key", func(c *wxpayv3.Config) { c.Signer.Key = small }, "1024 bits", wxpayv3.ErrBadKey},
		{"serial not hex", func(c *wxpayv3.Config) { c.Signer.Serial = "PUB_KEY_ID_1" }, "serial", wxpayv3.ErrBadKey},
		{"no serial", func(c *wxpayv3.Config) { c.Signer.Serial = "" }, "serial", wxpayv3.ErrBadKey},
		{"signer of another merchant", func(c *wxpayv3.Config) { c.Signer.MchID = "1900000110" }, "Signer.MchID", nil},
		{"no verifier", func(c *wxpayv3.Config) { c.Verifier = nil }, "Verifier", nil},
		{"verifier with no key", func(c *wxpayv3.Config) { c.Verifier = wxpayv3.NewVerifier() }, "Verifier", nil},
		{"APIv3 key of 31 bytes", func(c *wxpayv3.Config) { c.APIv3Key = c.APIv3Key[:31] }, "32 bytes", wxpayv3.ErrBadKey},
		{"APIv3 key of 64 bytes", func(c *wxpayv3.Config) { c.APIv3Key = []byte(testAPIv3Key + testAPIv3Key) }, "32 bytes", wxpayv3.ErrBadKey},
		{"notify_url with a query", func(c *wxpayv3.Config) { c.NotifyURL = testNotifyURL + "?a=1" }, "query", wxpay.ErrInvalidParam},
		{"relative base URL", func(c *wxpayv3.Config) { c.BaseURL = "api.mch.weixin.qq.com" }, "BaseURL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := k.config("http://127.0.0.1:1")
			tt.edit(&cfg)
			_, err := wxpayv3.NewClient(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("NewClient = %v, want an error mentioning %q", err, tt.wantIn)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewClient = %v, want it to wrap %v", err, tt.wantErr)
			}
		})
	}
	cfg := k.config("")
	cfg.Signer.MchID = ""
	if _, err := wxpayv3.NewClient(cfg); err != nil {
		t.Fatalf("default base URL and Signer.MchID from MchID: %v", err)
	}
}

// beijingWallClock writes t as v3 does, computed apart from the package:
// UTC plus eight hours, then the +08:00 suffix.
func beijingWallClock(t time.Time) string {
	return t.UTC().Add(8*time.Hour).Format("2006-01-02T15:04:05") + "+08:00"
}

func TestNativeOrderSendsSignedJSON(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	expire := time.Now().Add(15 * time.Minute).Truncate(time.Second)
	req := wxpayv3.NativeRequest{Description: "小店-咖啡豆 500g & <滤纸>", OutTradeNo: "20241123150405000000Ab3dE5fG",
		TimeExpire: expire, Total: 8800}
	resp, err := c.NativeOrder(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.CodeURL, "weixin://wxpay/bizpayurl?pr=") {
		t.Errorf("CodeURL = %q", resp.CodeURL)
	}
	seen := f.requests()
	if len(seen) != 1 {
		t.Fatalf("%d requests, want 1", len(seen))
	}
	r := seen[0]
	if r.method != "POST" || r.uri != "/v3/pay/transactions/native" {
		t.Errorf("request %s %s", r.method, r.uri)
	}
	for name, want := range map[string]string{"Accept": "application/json", "Content-Type": "application/json", "User-Agent": wxpayv3.UserAgent} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"appid": testAppID, "mchid": testMchID, "description": req.Description,
		"out_trade_no": req.OutTradeNo, "time_expire": beijingWallClock(expire), "notify_url": testNotifyURL,
		"amount": map[string]any{"total": 8800.0, "currency": "CNY"}}
	if got, want := string(mustMarshal(body)), string(mustMarshal(want)); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if _, ok := body["attach"]; ok {
		t.Error("an empty attach was sent")
	}
	if x := resp.Exchange; x.Op != "native" || x.HTTPStatus != 200 || string(x.Request) != string(r.body) ||
		!strings.Contains(string(x.Response), resp.CodeURL) || x.URL != f.srv.URL+"/v3/pay/transactions/native" {
		t.Errorf("Exchange = %+v", x)
	}

	// Re-entry with identical fields gets the same code; attach is sent when set.
	again, err := c.NativeOrder(context.Background(), req)
	if err != nil || again.CodeURL != resp.CodeURL {
		t.Fatalf("re-entry = %+v, %v; want %q", again, err, resp.CodeURL)
	}
	req.OutTradeNo, req.Attach = "20241123150405000000Ab3dE5fH", "sku=beans"
	if _, err := c.NativeOrder(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if b := f.requests()[2].body; !strings.Contains(string(b), `"attach":"sku=beans"`) {
		t.Errorf("attach not sent: %s", b)
	}
}

func TestNativeOrderValidatesBeforeSending(t *testing.T) {
	f := newFake(t)
	cfg := f.keys.config(f.srv.URL)
	cfg.NotifyURL = ""
	c := newClient(t, cfg)
	good := wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: "20241123150405000000Ab3dE5fG", Total: 1,
		NotifyURL: "http://127.0.0.1:8080/wxpay/v3/notify", TimeExpire: time.Now().Add(time.Hour)}
	tests := []struct {
		name string
		edit func(r *wxpayv3.NativeRequest)
	}{
		{"empty description", func(r *wxpayv3.NativeRequest) { r.Description = "" }},
		{"description of 128 bytes", func(r *wxpayv3.NativeRequest) { r.Description = strings.Repeat("a", 128) }},
		{"description not UTF-8", func(r *wxpayv3.NativeRequest) { r.Description = "\xff" }},
		{"short out_trade_no", func(r *wxpayv3.NativeRequest) { r.OutTradeNo = "12345" }},
		{"out_trade_no with a slash", func(r *wxpayv3.NativeRequest) { r.OutTradeNo = "2024/1123/0001" }},
		{"zero total", func(r *wxpayv3.NativeRequest) { r.Total = 0 }},
		{"negative total", func(r *wxpayv3.NativeRequest) { r.Total = -1 }},
		{"attach of 129 bytes", func(r *wxpayv3.NativeRequest) { r.Attach = strings.Repeat("a", 129) }},
		{"time_expire in 30 s", func(r *wxpayv3.NativeRequest) { r.TimeExpire = time.Now().Add(30 * time.Second) }},
		{"no notify_url", func(r *wxpayv3.NativeRequest) { r.NotifyURL = "" }},
		{"notify_url not http", func(r *wxpayv3.NativeRequest) { r.NotifyURL = "ftp://shop.example.com/n" }},
		{"notify_url with a query", func(r *wxpayv3.NativeRequest) { r.NotifyURL += "?x=1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			_, err := c.NativeOrder(context.Background(), r)
			if !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Fatalf("NativeOrder = %v, want ErrInvalidParam", err)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid orders", n)
	}
	if _, err := c.NativeOrder(context.Background(), good); err != nil {
		t.Fatalf("the good order (http notify_url, as the simulator's): %v", err)
	}
}

func TestQueryOrder(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	ctx := context.Background()
	// | and * are allowed in out_trade_no; they travel escaped, and the
	// signature covers the path as sent.
	no := "2024-1123_15|04*05Ab"
	if _, err := c.NativeOrder(ctx, wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: no, Total: 8800, Attach: "a=1"}); err != nil {
		t.Fatal(err)
	}
	q, err := c.QueryOrder(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	if q.TradeState != wxpayv3.TradeNotPay || q.Paid() || q.TransactionID != "" || q.Total != 0 || q.OutTradeNo != no {
		t.Errorf("unpaid: %+v", q.Transaction)
	}
	if got := f.requests()[1]; got.method != "GET" || got.uri != "/v3/pay/transactions/out-trade-no/2024-1123_15%7C04%2A05Ab?mchid="+testMchID ||
		got.header.Get("Content-Type") != "" || len(got.body) != 0 {
		t.Errorf("query request %s %s %q %q", got.method, got.uri, got.header.Get("Content-Type"), got.body)
	}
	f.pay(no)
	q, err = c.QueryOrder(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	wantTime := time.Date(2024, 11, 23, 7, 4, 5, 0, time.UTC)
	if !q.Paid() || q.TradeState != "SUCCESS" || q.TransactionID != "4200002345202411230000000001" || q.Total != 8800 ||
		q.PayerTotal != 8800 || q.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || q.BankType != "OTHERS" || q.Attach != "a=1" ||
		q.TradeType != "NATIVE" || !q.SuccessTime.Equal(wantTime) || q.SuccessTime.Format("-07:00") != "+08:00" {
		t.Errorf("paid: %+v", q.Transaction)
	}
	if q.Fields["amount.total"] != "8800" || q.Fields["payer.openid"] != q.OpenID || q.Fields["promotion_detail"] != "[]" ||
		q.Fields["trade_state_desc"] != "支付成功" {
		t.Errorf("Fields = %v", q.Fields)
	}
	if x := q.Exchange; x.Op != "query" || x.HTTPStatus != 200 || len(x.Request) != 0 {
		t.Errorf("Exchange = %+v", x)
	}
}

func TestCloseOrder(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	ctx := context.Background()
	no := "20241123150405000000Ab3dE5fG"
	if _, err := c.NativeOrder(ctx, wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: no, Total: 1}); err != nil {
		t.Fatal(err)
	}
	r, err := c.CloseOrder(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	if x := r.Exchange; x.Op != "close" || x.HTTPStatus != 204 || string(x.Request) != `{"mchid":"`+testMchID+`"}` || len(x.Response) != 0 {
		t.Errorf("Exchange = %+v, request %s", x, x.Request)
	}
	if got := f.requests()[1]; got.uri != "/v3/pay/transactions/out-trade-no/"+no+"/close" || got.header.Get("Content-Type") != "application/json" {
		t.Errorf("close request %s %v", got.uri, got.header)
	}
	q, err := c.QueryOrder(ctx, no)
	if err != nil || q.TradeState != wxpayv3.TradeClosed {
		t.Fatalf("after close: %+v, %v", q, err)
	}
}
