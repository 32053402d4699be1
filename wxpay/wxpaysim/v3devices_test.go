package wxpaysim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

func TestV3DeviceOrders(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignPubKey)
	alice := r.sim.OpenID(wxpaysim.DemoAppID, "alice")
	h5Scene := map[string]any{"payer_client_ip": "127.0.0.1", "h5_info": map[string]any{"type": "Wap"}}
	tests := []struct {
		name    string
		path    string
		change  func(map[string]any)
		status  int
		code    string // refusal code
		msgPart string
		field   string // of a success
	}{
		{"jsapi", "jsapi", func(b map[string]any) { b["payer"] = map[string]any{"openid": alice} }, 200, "", "", "prepay_id"},
		{"jsapi without payer", "jsapi", func(map[string]any) {}, 400, "PARAM_ERROR", "payer", ""},
		{"jsapi without openid", "jsapi", func(b map[string]any) { b["payer"] = map[string]any{} }, 400, "PARAM_ERROR", "openid", ""},
		{"jsapi openid of another app", "jsapi", func(b map[string]any) {
			b["payer"] = map[string]any{"openid": r.sim.OpenID(otherAppID, "alice")}
		}, 400, "PARAM_ERROR", "appid和openid不匹配", ""},
		{"h5", "h5", func(b map[string]any) { b["scene_info"] = h5Scene }, 200, "", "", "h5_url"},
		{"h5 without scene_info", "h5", func(map[string]any) {}, 400, "PARAM_ERROR", "scene_info", ""},
		{"h5 without payer_client_ip", "h5", func(b map[string]any) {
			b["scene_info"] = map[string]any{"h5_info": map[string]any{"type": "Wap"}}
		}, 400, "PARAM_ERROR", "payer_client_ip", ""},
		{"h5 without h5_info.type", "h5", func(b map[string]any) {
			b["scene_info"] = map[string]any{"payer_client_ip": "127.0.0.1", "h5_info": map[string]any{}}
		}, 400, "PARAM_ERROR", "h5_info/type", ""},
		{"app", "app", func(map[string]any) {}, 200, "", "", "prepay_id"},
		{"app for another appid", "app", func(b map[string]any) { b["appid"] = otherAppID }, 400, "APPID_MCHID_NOT_MATCH", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			no := "V3DEV-" + string(rune('A'+i)) + "01"
			b := nativeBody(no, "http://127.0.0.1:1/notify", r.clock.Now())
			tt.change(b)
			resp := r.do(t, v3req{method: http.MethodPost, path: "/v3/pay/transactions/" + tt.path, body: mustJSON(t, b)})
			got := resp.json(t)
			if resp.status != tt.status {
				t.Fatalf("%d %s, want %d", resp.status, resp.body, tt.status)
			}
			if tt.code != "" {
				if got["code"] != tt.code || !strings.Contains(got["message"].(string), tt.msgPart) {
					t.Errorf("%s, want %s mentioning %q", resp.body, tt.code, tt.msgPart)
				}
				return
			}
			if got[tt.field] == nil || got["code_url"] != nil {
				t.Errorf("%s, want only %s", resp.body, tt.field)
			}
		})
	}
}

// TestV3JSAPIPaySign: a v3 JSAPI order is paid with an RSA paySign by the
// merchant key, and the query reports JSAPI and the payer.
func TestV3JSAPIPaySign(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignPubKey)
	alice := r.sim.OpenID(wxpaysim.DemoAppID, "alice")
	b := nativeBody("V3-JSAPI-PAY", "http://127.0.0.1:1/notify", r.clock.Now())
	b["payer"] = map[string]any{"openid": alice}
	resp := r.do(t, v3req{method: http.MethodPost, path: "/v3/pay/transactions/jsapi", body: mustJSON(t, b)})
	prepayID, _ := resp.json(t)["prepay_id"].(string)
	params := map[string]string{"appId": wxpaysim.DemoAppID, "timeStamp": "1700000000", "nonceStr": "n0nce",
		"package": "prepay_id=" + prepayID, "signType": "RSA"}
	msg := "wxdeadbeefcafe0001\n1700000000\nn0nce\nprepay_id=" + prepayID + "\n"
	var err error
	if params["paySign"], err = wxpayv3.Sign(testKeys(t).MchKey, msg); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for k, v := range params {
		bad[k] = v
	}
	bad["nonceStr"] = "other"
	if err := r.sim.PayJSAPI(bad); !errors.Is(err, wxpaysim.ErrBadPaySign) {
		t.Errorf("tampered: %v, want ErrBadPaySign", err)
	}
	md5 := map[string]string{}
	for k, v := range params {
		md5[k] = v
	}
	md5["signType"] = "MD5"
	if err := r.sim.PayJSAPI(md5); !errors.Is(err, wxpaysim.ErrBadPayParams) {
		t.Errorf("MD5 for a v3 order: %v, want ErrBadPayParams", err)
	}
	if o, _ := r.sim.Order("V3-JSAPI-PAY"); o.TradeState != wxpay.TradeNotPay {
		t.Fatalf("refused parameters paid the order: %s", o.TradeState)
	}
	if err := r.sim.PayJSAPI(params); err != nil {
		t.Fatalf("PayJSAPI: %v", err)
	}
	q := r.query(t, "V3-JSAPI-PAY").json(t)
	payer, _ := q["payer"].(map[string]any)
	if q["trade_state"] != "SUCCESS" || q["trade_type"] != "JSAPI" || payer["openid"] != alice {
		t.Errorf("query = %v, want JSAPI paid by alice", q)
	}
}

func TestV3AppPaySign(t *testing.T) {
	r := v3Rig(t, wxpaysim.V3SignPubKey)
	b := nativeBody("V3-APP-PAY", "http://127.0.0.1:1/notify", r.clock.Now())
	prepayID, _ := r.do(t, v3req{method: http.MethodPost, path: "/v3/pay/transactions/app", body: mustJSON(t, b)}).json(t)["prepay_id"].(string)
	sign, err := wxpayv3.Sign(testKeys(t).MchKey, wxpaysim.DemoAppID+"\n1700000000\nn0nce\n"+prepayID+"\n")
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{"appid": wxpaysim.DemoAppID, "partnerid": wxpaysim.DemoMchID, "prepayid": prepayID,
		"package": "Sign=WXPay", "noncestr": "n0nce", "timestamp": "1700000000", "sign": sign}
	resp := postParams(t, r, "/app/pay", params)
	if resp.status != http.StatusOK || resp.m["errCode"] != 0.0 {
		t.Fatalf("/app/pay: %d %v", resp.status, resp.m)
	}
	q := r.query(t, "V3-APP-PAY").json(t)
	if q["trade_state"] != "SUCCESS" || q["trade_type"] != "APP" {
		t.Errorf("query = %v, want APP paid", q)
	}
}

type jsonResp struct {
	status int
	header http.Header
	m      map[string]any
}

func postParams(t *testing.T, r *rig, path string, v any) jsonResp {
	t.Helper()
	resp, err := r.ts.Client().Post(r.ts.URL+path, "text/plain", strings.NewReader(string(mustJSON(t, v))))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
	}
	return jsonResp{resp.StatusCode, resp.Header, m}
}

// TestJSAPIPayEndpoint is what the WeixinJSBridge stand-in's sheet does.
func TestJSAPIPayEndpoint(t *testing.T) {
	r := manualRig(t)
	status, script, h := getBody(t, r.ts.Client(), r.ts.URL+"/jsbridge.js")
	if status != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Fatalf("/jsbridge.js: %d %s", status, h.Get("Content-Type"))
	}
	for _, want := range []string{"WeixinJSBridgeReady", "getBrandWCPayRequest", "sim-jsapi-sheet", "sim-jsapi-pay",
		"sim-jsapi-cancel", "get_brand_wcpay_request:cancel", "/jsapi/pay"} {
		contains(t, script, want)
	}
	c := r.client(t)
	prepayID := prepay(t, r, "JSBRIDGE-1", wxpay.TradeJSAPI)
	order := getJSON(t, r.ts.Client(), r.ts.URL+"/jsapi/order?prepay_id="+prepayID)
	if order["amount"] != "12.34" || order["merchant"] == "" {
		t.Errorf("/jsapi/order = %v", order)
	}
	params, err := c.JSAPIPayParams(wxpaysim.DemoAppID, prepayID)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for k, v := range params {
		bad[k] = v
	}
	bad["paySign"] = strings.Repeat("F", 32)
	if got := postParams(t, r, "/jsapi/pay", bad); got.m["err_msg"] != "get_brand_wcpay_request:fail" || got.m["err_desc"] != "签名错误" {
		t.Errorf("bad paySign: %d %v", got.status, got.m)
	}
	if o, _ := r.sim.Order("JSBRIDGE-1"); o.TradeState != wxpay.TradeNotPay {
		t.Fatalf("bad paySign paid: %s", o.TradeState)
	}
	got := postParams(t, r, "/jsapi/pay", params)
	if got.status != http.StatusOK || got.m["err_msg"] != "get_brand_wcpay_request:ok" || got.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("pay: %d %v", got.status, got.m)
	}
	if o, _ := r.sim.Order("JSBRIDGE-1"); o.TradeState != wxpay.TradeSuccess {
		t.Errorf("after pay: %s", o.TradeState)
	}
}
