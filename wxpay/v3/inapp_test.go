package wxpayv3_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// payParamser is the second signature as the checkout calls it, whichever
// protocol is configured.
type payParamser interface {
	JSAPIPayParams(appID, prepayID string) (map[string]string, error)
	AppPayParams(appID, prepayID string) (map[string]string, error)
}

var (
	_ payParamser = (*wxpay.Client)(nil)
	_ payParamser = (*wxpayv3.Client)(nil)
	_ payParamser = (*wxpayv3.Adapter)(nil)
)

const (
	vecPrepayID = "wx201410272009395522657a690389285100"
	vecNonce    = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
	vecUnix     = 1700000000
)

// The signatures of the fixed vectors were computed apart from Go, with
// testdata/merchant_key.pem (RSA PKCS#1 v1.5 is deterministic):
//
//	printf 'wxd930ea5d5a258f4f\n1700000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n' |
//		openssl dgst -sha256 -sign testdata/merchant_key.pem | base64 -w0
//	printf 'wxd930ea5d5a258f4f\n1700000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nwx201410272009395522657a690389285100\n' |
//		openssl dgst -sha256 -sign testdata/merchant_key.pem | base64 -w0
const (
	vecJSAPISign = "T0+oC/e78FqzhL78TTsc3YGOUUZ+F0TE4tD/SkjCcgS14rKtICyhaDTYbAsNDFXNlCPsaVv/4DJRQVzdL82FvshPMZEr7I1QEq+c+azMCvgFvL2zauLG/t9SdlVCn2kiQjI9fxq/nB3YQc8l0e/C8Get25cjVN6VwbnTtJjM00gWx3RdmM0ThwAFmp4AD7PM/hV+ijm9zIQJyyaiLQbXAdhR8+ifRgUT1sxjNqYpQm8/qmK1dDVueZZkTt4zDmNaMFH3tjekVA8QZutbpcZIWR884A78rtpV9+N6flSIj5lSvyg0eqM/yzy0sbtHzYfYbJoHzBui0sxBEUY2nACcrg=="
	vecAppSign   = "qBFl8t0mDGJkIFZil2zFQ6Hc3KL7X6cRmllfbMelROrHoN4BCvaTPw2oQwQXwEUql3am9mMRpfGN6+Rn3AwAr44Lp7hRnNNPZGwk8c9V+X8n6i1vG9Pp6ls9U4OZ1F302CuZfA2zwwi2hWloElCyAC7FpXRjI0zIm/3mFRZIXa/0bRdKemT+d8M0WcJoWJWkOls+x/irSLrbBV1VF6SKX1vJX+O1BT8SMqdOhy5YdE5G5hQhbVeSu6je1MqOm4jSHI3ZVhwHK+ipvPRQHNV/he9pnsAirC0aeGqisg34Vt0mdX6y1bz24XluwiKWFPJB3x8YMVG4SdKfGEY2ONzdWQ=="
)

func TestSecondSignatureFixedVectors(t *testing.T) {
	k := loadKeys(t)
	at := time.Unix(vecUnix, 0)
	j, err := wxpayv3.SignJSAPIPay(k.merchant, testAppID, vecPrepayID, at, vecNonce)
	if err != nil {
		t.Fatal(err)
	}
	wantJ := map[string]string{"appId": testAppID, "timeStamp": "1700000000", "nonceStr": vecNonce,
		"package": "prepay_id=" + vecPrepayID, "signType": "RSA", "paySign": vecJSAPISign}
	if got, want := string(mustMarshal(j)), string(mustMarshal(wantJ)); got != want {
		t.Errorf("JSAPI\n got %s\nwant %s", got, want)
	}
	a, err := wxpayv3.SignAppPay(k.merchant, testAppID, testMchID, vecPrepayID, at, vecNonce)
	if err != nil {
		t.Fatal(err)
	}
	wantA := map[string]string{"appid": testAppID, "partnerid": testMchID, "prepayid": vecPrepayID,
		"package": "Sign=WXPay", "noncestr": vecNonce, "timestamp": "1700000000", "sign": vecAppSign}
	if got, want := string(mustMarshal(a)), string(mustMarshal(wantA)); got != want {
		t.Errorf("APP\n got %s\nwant %s", got, want)
	}
}

func TestPayParamsVerifyWithTheMerchantPublicKey(t *testing.T) {
	f := newFake(t)
	cfg := f.keys.config(f.srv.URL)
	cfg.OtherAppIDs = []string{testMiniAppID}
	cfg.Now = func() time.Time { return time.Unix(vecUnix, 0) }
	cfg.Rand = bytes.NewReader(bytes.Repeat([]byte{62 + 1}, 64*4)) // 63 % 62 = 1: "1111…"
	c := newClient(t, cfg)
	a := wxpayv3.NewAdapter(c, "")
	nonce := string(bytes.Repeat([]byte("1"), 32))

	j, err := a.JSAPIPayParams(testMiniAppID, vecPrepayID)
	if err != nil {
		t.Fatal(err)
	}
	if j["appId"] != testMiniAppID || j["timeStamp"] != "1700000000" || j["nonceStr"] != nonce ||
		j["package"] != "prepay_id="+vecPrepayID || j["signType"] != "RSA" || len(j) != 6 {
		t.Errorf("JSAPI params %v", j)
	}
	msg := wxpayv3.JSAPIPayMessage(j["appId"], j["timeStamp"], j["nonceStr"], j["package"])
	if msg != testMiniAppID+"\n1700000000\n"+nonce+"\nprepay_id="+vecPrepayID+"\n" {
		t.Errorf("JSAPI message %q", msg)
	}
	if err := wxpayv3.Verify(f.keys.merchantPub, msg, j["paySign"]); err != nil {
		t.Errorf("paySign: %v", err)
	}

	p, err := c.AppPayParams(testAppID, vecPrepayID)
	if err != nil {
		t.Fatal(err)
	}
	if p["appid"] != testAppID || p["partnerid"] != testMchID || p["prepayid"] != vecPrepayID || p["package"] != "Sign=WXPay" ||
		p["noncestr"] != nonce || p["timestamp"] != "1700000000" || len(p) != 7 {
		t.Errorf("APP params %v", p)
	}
	msg = wxpayv3.AppPayMessage(p["appid"], p["timestamp"], p["noncestr"], p["prepayid"])
	if err := wxpayv3.Verify(f.keys.merchantPub, msg, p["sign"]); err != nil {
		t.Errorf("sign: %v", err)
	}
	if err := wxpayv3.Verify(f.keys.merchantPub, msg+"x", p["sign"]); err == nil {
		t.Error("the APP sign verifies over another message")
	}
}

func TestPayParamsRefuse(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.keys.config(f.srv.URL))
	for _, tt := range []struct{ name, appID, prepayID string }{
		{"another merchant's appid", "wx0000000000000000", vecPrepayID},
		{"no appid", "", vecPrepayID},
		{"no prepay_id", testAppID, ""},
		{"a prepay_id with a line break", testAppID, "wx1\nwx2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.JSAPIPayParams(tt.appID, tt.prepayID); !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Errorf("JSAPIPayParams = %v, want ErrInvalidParam", err)
			}
			if _, err := c.AppPayParams(tt.appID, tt.prepayID); !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Errorf("AppPayParams = %v, want ErrInvalidParam", err)
			}
		})
	}
	cfg := f.keys.config(f.srv.URL)
	cfg.Rand = bytes.NewReader(nil)
	if _, err := newClient(t, cfg).JSAPIPayParams(testAppID, vecPrepayID); err == nil {
		t.Error("an exhausted random source gave a nonce")
	}
}

func TestAdapterUnifiedOrderByTradeType(t *testing.T) {
	f := newFake(t)
	cfg := f.keys.config(f.srv.URL)
	cfg.OtherAppIDs = []string{testMiniAppID}
	a := wxpayv3.NewAdapter(newClient(t, cfg), v3NotifyURL)
	ctx := context.Background()
	order := func(tt, no string) *wxpay.UnifiedOrderRequest {
		return &wxpay.UnifiedOrderRequest{TradeType: tt, Body: "咖啡", OutTradeNo: no, TotalFee: 8800,
			SpbillCreateIP: "203.0.113.7", NotifyURL: "http://127.0.0.1:8080/wxpay/notify"}
	}
	j := order(wxpay.TradeJSAPI, errNo+"J")
	j.AppID, j.OpenID = testMiniAppID, testOpenID
	resp, err := a.UnifiedOrder(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if resp.PrepayID == "" || resp.CodeURL != "" || resp.MwebURL != "" || resp.Fields["prepay_id"] != resp.PrepayID || resp.Exchange.Op != "jsapi" {
		t.Errorf("JSAPI: %+v", resp)
	}
	want := `"appid":"` + testMiniAppID + `"`
	if got := string(f.requests()[0].body); !bytes.Contains([]byte(got), []byte(want)) ||
		!bytes.Contains([]byte(got), []byte(`"payer":{"openid":"`+testOpenID+`"}`)) {
		t.Errorf("JSAPI sent %s", got)
	}

	m := order(wxpay.TradeMWEB, errNo+"M")
	m.SceneInfo = wxpay.H5SceneInfo("https://shop.example.com", "小店")
	if resp, err = a.UnifiedOrder(ctx, m); err != nil {
		t.Fatal(err)
	}
	if resp.MwebURL == "" || resp.PrepayID != "" || resp.Fields["h5_url"] != resp.MwebURL || resp.Exchange.Op != "h5" {
		t.Errorf("MWEB: %+v", resp)
	}
	wantScene := `"scene_info":{"payer_client_ip":"203.0.113.7","h5_info":{"type":"Wap","app_name":"小店","app_url":"https://shop.example.com"}}`
	if got := f.requests()[1].body; !bytes.Contains(got, []byte(wantScene)) || !bytes.Contains(got, []byte(`"notify_url":"`+v3NotifyURL+`"`)) {
		t.Errorf("MWEB sent %s", got)
	}

	if resp, err = a.UnifiedOrder(ctx, order(wxpay.TradeAPP, errNo+"A")); err != nil {
		t.Fatal(err)
	}
	if resp.PrepayID == "" || resp.Exchange.Op != "app" || f.requests()[2].uri != "/v3/pay/transactions/app" {
		t.Errorf("APP: %+v", resp)
	}

	// Refusals before sending, and WeChat's, come out as v2's.
	n := len(f.requests())
	bad := []*wxpay.UnifiedOrderRequest{order(wxpay.TradeJSAPI, errNo+"X"), order("MICROPAY", errNo+"Y"), order(wxpay.TradeMWEB, errNo+"Z")}
	bad[2].SpbillCreateIP = ""
	badScene := order(wxpay.TradeMWEB, errNo+"W")
	badScene.SceneInfo = `{"h5_info":`
	bad = append(bad, badScene)
	for _, r := range bad {
		if _, err := a.UnifiedOrder(ctx, r); !errors.Is(err, wxpay.ErrInvalidParam) {
			t.Errorf("%s %+v: %v, want ErrInvalidParam", r.TradeType, r, err)
		}
	}
	if got := len(f.requests()); got != n {
		t.Errorf("%d requests sent for invalid orders", got-n)
	}
	f.set(func(f *fakeWeChat) {
		f.fail = &fakeFail{http.StatusBadRequest, "PARAM_ERROR", "openid 与 appid 不匹配"}
	})
	var we *wxpay.Error
	if _, err := a.UnifiedOrder(ctx, j); !errors.As(err, &we) || we.ErrCode != "PARAM_ERROR" || we.Exchange == nil {
		t.Errorf("refused JSAPI: %v, want *wxpay.Error PARAM_ERROR", err)
	}
	f.set(func(f *fakeWeChat) { f.fail = &fakeFail{http.StatusServiceUnavailable, "SYSTEM_ERROR", "系统繁忙"} })
	if _, err := a.UnifiedOrder(ctx, order(wxpay.TradeAPP, errNo+"A")); !wxpay.IsTransport(err) {
		t.Errorf("5xx APP: %v, want a transport error", err)
	}
}
