package wxpayv3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// testMiniAppID is a mini program bound to the test merchant.
const (
	testMiniAppID = "wx8888888888888888"
	testOpenID    = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
)

// device answers the JSAPI, H5 and APP orders as WeChat does: the common
// fields as Native's, payer.openid for JSAPI, scene_info for H5.
func (f *fakeWeChat) device(w http.ResponseWriter, kind string, body []byte) {
	var req map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "body is not JSON")
		return
	}
	msg := checkNative(req)
	payer, _ := req["payer"].(map[string]any)
	scene, _ := req["scene_info"].(map[string]any)
	h5, _ := scene["h5_info"].(map[string]any)
	switch {
	case msg != "":
	case kind == "jsapi" && (payer == nil || payer["openid"] == ""):
		msg = "缺少参数 payer.openid"
	case kind == "h5" && (scene["payer_client_ip"] == nil || h5 == nil || h5["type"] == nil):
		msg = "缺少参数 scene_info"
	case kind != "jsapi" && payer != nil, kind != "h5" && scene != nil:
		msg = "参数多余"
	}
	if msg != "" {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	no := req["out_trade_no"].(string)
	o, ok := f.orders[no]
	if !ok {
		id := "wx2024112315040" + strconv.Itoa(len(f.orders)+1) + "a1b2c3d4e5f6"
		o = &fakeOrder{body: req, codeURL: id}
		f.orders[no] = o
	}
	if kind == "h5" {
		f.writeJSON(w, http.StatusOK, map[string]any{"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + o.codeURL + "&package=1037687096"})
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"prepay_id": o.codeURL})
}

func deviceClient(tb testing.TB) (*fakeWeChat, *wxpayv3.Client) {
	tb.Helper()
	f := newFake(tb)
	cfg := f.keys.config(f.srv.URL)
	cfg.OtherAppIDs = []string{testMiniAppID}
	return f, newClient(tb, cfg)
}

func TestDeviceOrdersSendTheirFields(t *testing.T) {
	f, c := deviceClient(t)
	ctx := context.Background()
	expire := time.Now().Add(15 * time.Minute).Truncate(time.Second)
	common := func(m map[string]any) map[string]any {
		m["mchid"], m["description"], m["notify_url"] = testMchID, "咖啡", testNotifyURL
		m["time_expire"], m["amount"] = beijingWallClock(expire), map[string]any{"total": 8800.0, "currency": "CNY"}
		return m
	}
	tests := []struct {
		name, path string
		place      func(no string) (string, *wxpay.Exchange, error)
		want       map[string]any
	}{
		{"jsapi for a mini program", "/v3/pay/transactions/jsapi", func(no string) (string, *wxpay.Exchange, error) {
			r, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{AppID: testMiniAppID, OpenID: testOpenID, Description: "咖啡",
				OutTradeNo: no, TimeExpire: expire, Total: 8800})
			if err != nil {
				return "", nil, err
			}
			return r.PrepayID, r.Exchange, nil
		}, map[string]any{"appid": testMiniAppID, "payer": map[string]any{"openid": testOpenID}}},
		{"h5", "/v3/pay/transactions/h5", func(no string) (string, *wxpay.Exchange, error) {
			r, err := c.H5Order(ctx, wxpayv3.H5Request{PayerClientIP: "203.0.113.7", AppName: "小店", AppURL: "https://shop.example.com",
				Description: "咖啡", OutTradeNo: no, TimeExpire: expire, Total: 8800})
			if err != nil {
				return "", nil, err
			}
			return r.H5URL, r.Exchange, nil
		}, map[string]any{"appid": testAppID, "scene_info": map[string]any{"payer_client_ip": "203.0.113.7",
			"h5_info": map[string]any{"type": "Wap", "app_name": "小店", "app_url": "https://shop.example.com"}}}},
		{"app", "/v3/pay/transactions/app", func(no string) (string, *wxpay.Exchange, error) {
			r, err := c.AppOrder(ctx, wxpayv3.AppRequest{Description: "咖啡", OutTradeNo: no, TimeExpire: expire, Total: 8800})
			if err != nil {
				return "", nil, err
			}
			return r.PrepayID, r.Exchange, nil
		}, map[string]any{"appid": testAppID}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			no := "20241123150405000000Ab3dE5f" + strconv.Itoa(i)
			got, x, err := tt.place(no)
			if err != nil {
				t.Fatal(err)
			}
			var reply map[string]string
			if err := json.Unmarshal(x.Response, &reply); err != nil {
				t.Fatal(err)
			}
			if got == "" || (reply["prepay_id"] != got && reply["h5_url"] != got) || x.Op != tt.path[len("/v3/pay/transactions/"):] ||
				x.URL != f.srv.URL+tt.path || x.HTTPStatus != 200 {
				t.Errorf("answer %q, Exchange %+v", got, x)
			}
			seen := f.requests()
			r := seen[len(seen)-1]
			if r.method != "POST" || r.uri != tt.path {
				t.Errorf("request %s %s", r.method, r.uri)
			}
			var body map[string]any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			want := common(tt.want)
			want["out_trade_no"] = no
			if got, want := string(mustMarshal(body)), string(mustMarshal(want)); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
			again, _, err := tt.place(no)
			if err != nil || again != got {
				t.Errorf("re-entry = %q, %v; want %q", again, err, got)
			}
		})
	}
}

func TestDeviceOrdersValidateBeforeSending(t *testing.T) {
	f, c := deviceClient(t)
	ctx := context.Background()
	no := "20241123150405000000Ab3dE5fG"
	tests := []struct {
		name  string
		place func() error
	}{
		{"jsapi without openid", func() error {
			_, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"jsapi openid of 129 bytes", func() error {
			_, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{OpenID: strings.Repeat("o", 129), Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"jsapi for an appid not the merchant's", func() error {
			_, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{AppID: "wx0000000000000000", OpenID: testOpenID, Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"jsapi with zero total", func() error {
			_, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{OpenID: testOpenID, Description: "咖啡", OutTradeNo: no})
			return err
		}},
		{"h5 without the shopper's IP", func() error {
			_, err := c.H5Order(ctx, wxpayv3.H5Request{Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"h5 with a host name for an IP", func() error {
			_, err := c.H5Order(ctx, wxpayv3.H5Request{PayerClientIP: "shop.example.com", Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"h5 app_name of 65 bytes", func() error {
			_, err := c.H5Order(ctx, wxpayv3.H5Request{PayerClientIP: "::1", AppName: strings.Repeat("a", 65), Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
		{"h5 with a bad out_trade_no", func() error {
			_, err := c.H5Order(ctx, wxpayv3.H5Request{PayerClientIP: "::1", Description: "咖啡", OutTradeNo: "1/2", Total: 1})
			return err
		}},
		{"app without a description", func() error {
			_, err := c.AppOrder(ctx, wxpayv3.AppRequest{OutTradeNo: no, Total: 1})
			return err
		}},
		{"app for an appid not the merchant's", func() error {
			_, err := c.AppOrder(ctx, wxpayv3.AppRequest{AppID: "wx0000000000000000", Description: "咖啡", OutTradeNo: no, Total: 1})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.place(); !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Fatalf("got %v, want ErrInvalidParam", err)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid orders", n)
	}
}

func TestDeviceOrderReplies(t *testing.T) {
	f, c := deviceClient(t)
	ctx := context.Background()
	jsapi := wxpayv3.JSAPIRequest{OpenID: testOpenID, Description: "咖啡", OutTradeNo: "20241123150405000000Ab3dE5fG", Total: 1}
	h5 := wxpayv3.H5Request{PayerClientIP: "203.0.113.7", Description: "咖啡", OutTradeNo: "20241123150405000000Ab3dE5fH", Total: 1}
	answer := func(body string) {
		f.set(func(f *fakeWeChat) {
			f.reply = func(w http.ResponseWriter, _ *http.Request) bool {
				f.write(w, http.StatusOK, []byte(body))
				return true
			}
		})
	}
	for _, body := range []string{`{}`, `{"prepay_id":""}`, `{"prepay_id":1}`, `{"prepay_id":"a","prepay_id":"b"}`, `{"prepay_id":"a"} {}`, `[]`} {
		answer(body)
		_, err := c.JSAPIOrder(ctx, jsapi)
		if !wxpayv3.IsTransport(err) || !errors.Is(err, wxpayv3.ErrMalformed) || wxpayv3.ExchangeOf(err) == nil {
			t.Errorf("reply %s: %v, want a TransportError wrapping ErrMalformed", body, err)
		}
	}
	for _, body := range []string{`{"h5_url":"javascript:alert(1)"}`, `{"h5_url":"/relative"}`, `{"prepay_id":"wx1"}`} {
		answer(body)
		if _, err := c.H5Order(ctx, h5); !wxpayv3.IsTransport(err) || !errors.Is(err, wxpayv3.ErrMalformed) {
			t.Errorf("h5 reply %s: %v, want a TransportError wrapping ErrMalformed", body, err)
		}
	}
	f.set(func(f *fakeWeChat) {
		f.reply, f.fail = nil, &fakeFail{http.StatusForbidden, "NO_AUTH", "商户无此接口权限"}
	})
	if _, err := c.H5Order(ctx, h5); wxpayv3.ErrCode(err) != "NO_AUTH" || wxpayv3.IsRetryable(err) {
		t.Errorf("refusal: %v, want *Error NO_AUTH", err)
	}
	f.set(func(f *fakeWeChat) {
		f.fail = &fakeFail{http.StatusInternalServerError, "SYSTEM_ERROR", "系统错误"}
	})
	if _, err := c.JSAPIOrder(ctx, jsapi); !wxpayv3.IsTransport(err) {
		t.Errorf("5xx: %v, want a TransportError", err)
	}
}

func TestQueryOrderOfAnotherAppIDOfTheMerchant(t *testing.T) {
	f, c := deviceClient(t)
	ctx := context.Background()
	no := "20241123150405000000Ab3dE5fG"
	if _, err := c.JSAPIOrder(ctx, wxpayv3.JSAPIRequest{AppID: testMiniAppID, OpenID: testOpenID, Description: "咖啡",
		OutTradeNo: no, Total: 1}); err != nil {
		t.Fatal(err)
	}
	f.pay(no)
	f.set(func(f *fakeWeChat) { f.orders[no].tx["appid"] = testMiniAppID })
	if q, err := c.QueryOrder(ctx, no); err != nil || !q.Paid() {
		t.Fatalf("QueryOrder = %+v, %v", q, err)
	}
	f.set(func(f *fakeWeChat) { f.orders[no].tx["appid"] = "wx0000000000000000" })
	if _, err := c.QueryOrder(ctx, no); !errors.Is(err, wxpay.ErrMerchantMismatch) {
		t.Fatalf("another merchant's appid: %v, want ErrMerchantMismatch", err)
	}
}
