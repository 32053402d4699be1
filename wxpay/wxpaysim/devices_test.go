package wxpaysim_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// otherAppID is a well-formed appid not bound to the demo merchant.
const otherAppID = "wx0123456789abcdef"

// deviceFields is a valid v2 unifiedorder of tradeType, unsigned.
func deviceFields(sim *wxpaysim.Server, no, tradeType string) wxpay.Params {
	p := orderFields(no)
	p["trade_type"] = tradeType
	delete(p, "product_id")
	switch tradeType {
	case wxpay.TradeJSAPI:
		p["openid"] = sim.OpenID(wxpaysim.DemoAppID, "alice")
	case wxpay.TradeMWEB:
		p["scene_info"] = wxpay.H5SceneInfo("https://shop.example", "演示商店")
	}
	return p
}

func TestOpenIDs(t *testing.T) {
	r := manualRig(t)
	a := r.sim.OpenID(wxpaysim.DemoAppID, "alice")
	if len(a) != 28 || a[0] != 'o' || strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		t.Errorf("openid %q: want 28 characters of [A-Za-z0-9_-] starting with o", a)
	}
	if a != r.sim.OpenID(wxpaysim.DemoAppID, "alice") {
		t.Error("the same user and app give different openids")
	}
	if a == r.sim.OpenID(wxpaysim.DemoAppID, "bob") || a == r.sim.OpenID(otherAppID, "alice") {
		t.Error("openids of another user or another app are the same")
	}
}

func TestUnifiedOrderTradeTypes(t *testing.T) {
	r := manualRig(t)
	set := func(k, v string) func(wxpay.Params) { return func(p wxpay.Params) { p[k] = v } }
	del := func(k string) func(wxpay.Params) { return func(p wxpay.Params) { delete(p, k) } }
	none := func(wxpay.Params) {}
	tests := []struct {
		name      string
		tradeType string
		change    func(wxpay.Params)
		code      string // err_code; "" with msg: return_code=FAIL; "" without: success
		msg       string
		want      []string // reply fields that must be present
		wantNot   []string // and absent
	}{
		{"JSAPI", wxpay.TradeJSAPI, none, "", "", []string{"prepay_id"}, []string{"code_url", "mweb_url"}},
		{"JSAPI without openid", wxpay.TradeJSAPI, del("openid"), "", "JSAPI支付必须传openid", nil, nil},
		{"JSAPI openid of another app", wxpay.TradeJSAPI, set("openid", r.sim.OpenID(otherAppID, "alice")), "PARAM_ERROR", "appid和openid不匹配", nil, nil},
		{"JSAPI forged openid", wxpay.TradeJSAPI, set("openid", "o"+strings.Repeat("A", 27)), "PARAM_ERROR", "appid和openid不匹配", nil, nil},
		{"MWEB", wxpay.TradeMWEB, none, "", "", []string{"prepay_id", "mweb_url"}, []string{"code_url"}},
		{"MWEB without scene_info", wxpay.TradeMWEB, del("scene_info"), "LACK_PARAMS", "scene_info", nil, nil},
		{"MWEB scene_info not JSON", wxpay.TradeMWEB, set("scene_info", "h5"), "INVALID_REQUEST", "scene_info", nil, nil},
		{"MWEB scene_info without h5_info", wxpay.TradeMWEB, set("scene_info", `{"store_info":{"id":"1"}}`), "INVALID_REQUEST", "h5_info", nil, nil},
		{"APP", wxpay.TradeAPP, none, "", "", []string{"prepay_id"}, []string{"code_url", "mweb_url"}},
		{"APP for another app", wxpay.TradeAPP, set("appid", otherAppID), "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配", nil, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			no := "DEVICE-" + string(rune('A'+i)) + "01"
			p := deviceFields(r.sim, no, tt.tradeType)
			tt.change(p)
			reply := r.signed(t, "/pay/unifiedorder", p)
			switch {
			case tt.code == "" && tt.msg == "":
				if reply["result_code"] != "SUCCESS" || reply["trade_type"] != tt.tradeType {
					t.Fatalf("reply = %v, want a %s success", reply, tt.tradeType)
				}
				for _, k := range tt.want {
					if reply[k] == "" {
						t.Errorf("reply has no %s: %v", k, reply)
					}
				}
				for _, k := range tt.wantNot {
					if reply[k] != "" {
						t.Errorf("reply has %s: %v", k, reply)
					}
				}
			case tt.code == "":
				if reply["return_code"] != "FAIL" || reply["return_msg"] != tt.msg {
					t.Errorf("reply = %v, want return_code=FAIL %q", reply, tt.msg)
				}
			default:
				if reply["err_code"] != tt.code || !strings.Contains(reply["err_code_des"], tt.msg) {
					t.Errorf("reply = %v, want %s mentioning %q", reply, tt.code, tt.msg)
				}
			}
			if _, placed := r.sim.Order(no); placed != (tt.code == "" && tt.msg == "") {
				t.Errorf("order placed = %v", placed)
			}
		})
	}
}

func TestMWEBReentry(t *testing.T) {
	r := manualRig(t)
	p := deviceFields(r.sim, "MWEB-REENTRY", wxpay.TradeMWEB)
	first := r.signed(t, "/pay/unifiedorder", p)
	p["nonce_str"] = wxpay.NewNonce()
	again := r.signed(t, "/pay/unifiedorder", p)
	if again["prepay_id"] != first["prepay_id"] || again["mweb_url"] != first["mweb_url"] {
		t.Errorf("re-entry gave %v, want the first reply's prepay_id and mweb_url %v", again, first)
	}
	p["total_fee"] = "1"
	if changed := r.signed(t, "/pay/unifiedorder", p); changed["err_code"] != wxpay.CodeInvalidRequest {
		t.Errorf("re-entry with another total_fee: %v, want INVALID_REQUEST", changed)
	}
}

// prepay places a v2 order of tradeType and returns its prepay_id.
func prepay(t *testing.T, r *rig, no, tradeType string, change ...func(wxpay.Params)) string {
	t.Helper()
	p := deviceFields(r.sim, no, tradeType)
	for _, f := range change {
		f(p)
	}
	reply := r.signed(t, "/pay/unifiedorder", p)
	if reply["prepay_id"] == "" {
		t.Fatalf("unifiedorder %s: %v", tradeType, reply)
	}
	return reply["prepay_id"]
}

// md5Sign and hmacSign compute a v2 sign by hand over k=v pairs already
// in byte order, independently of wxpay.Sign.
func md5Sign(pairs, key string) string {
	sum := md5.Sum([]byte(pairs + "&key=" + key))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func hmacSign(pairs, key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(pairs + "&key=" + key))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// flipFirst changes the first hex digit of a signature: always a change
// (a random signature starts with "0" one time in sixteen).
func flipFirst(sign string) string {
	if sign[0] == '0' {
		return "1" + sign[1:]
	}
	return "0" + sign[1:]
}

func TestPayJSAPI(t *testing.T) {
	key := wxpaysim.DemoAPIKey
	jsapiParams := func(prepayID, signType string, sign func(string, string) string) map[string]string {
		pkg := "prepay_id=" + prepayID
		pairs := "appId=" + wxpaysim.DemoAppID + "&nonceStr=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&package=" + pkg +
			"&signType=" + signType + "&timeStamp=1414561699"
		return map[string]string{"appId": wxpaysim.DemoAppID, "timeStamp": "1414561699",
			"nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "package": pkg, "signType": signType, "paySign": sign(pairs, key)}
	}
	tests := []struct {
		name    string
		tamper  func(map[string]string)
		signTyp string
		sign    func(string, string) string
		wantErr error
	}{
		{"MD5", nil, "MD5", md5Sign, nil},
		{"HMAC-SHA256", nil, "HMAC-SHA256", hmacSign, nil},
		{"MD5 sign sent as HMAC-SHA256", nil, "HMAC-SHA256", md5Sign, wxpaysim.ErrBadPaySign},
		{"tampered paySign", func(p map[string]string) { p["paySign"] = flipFirst(p["paySign"]) }, "MD5", md5Sign, wxpaysim.ErrBadPaySign},
		{"tampered nonceStr", func(p map[string]string) { p["nonceStr"] = "x" }, "MD5", md5Sign, wxpaysim.ErrBadPaySign},
		{"wrong key", nil, "MD5", func(pairs, _ string) string { return md5Sign(pairs, strings.Repeat("k", 32)) }, wxpaysim.ErrBadPaySign},
		{"no paySign", func(p map[string]string) { delete(p, "paySign") }, "MD5", md5Sign, wxpaysim.ErrBadPayParams},
		{"other appId", func(p map[string]string) { p["appId"] = otherAppID }, "MD5", md5Sign, wxpaysim.ErrBadPayParams},
		{"unknown prepay_id", func(p map[string]string) { p["package"] = "prepay_id=wx000" }, "MD5", md5Sign, wxpaysim.ErrUnknownPrepay},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := manualRig(t)
			no := "JSAPI-PAY-" + string(rune('A'+i))
			params := jsapiParams(prepay(t, r, no, wxpay.TradeJSAPI), tt.signTyp, tt.sign)
			if tt.tamper != nil {
				tt.tamper(params)
			}
			err := r.sim.PayJSAPI(params)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PayJSAPI = %v, want %v", err, tt.wantErr)
			}
			o, _ := r.sim.Order(no)
			wantState := wxpay.TradeNotPay
			if tt.wantErr == nil {
				wantState = wxpay.TradeSuccess
				if o.OpenID != r.sim.OpenID(wxpaysim.DemoAppID, "alice") || o.TradeType != wxpay.TradeJSAPI {
					t.Errorf("paid as %q (%s), want alice's openid, JSAPI", o.OpenID, o.TradeType)
				}
			}
			if o.TradeState != wantState {
				t.Errorf("trade_state = %s, want %s", o.TradeState, wantState)
			}
		})
	}
	t.Run("a MWEB prepay_id", func(t *testing.T) {
		r := manualRig(t)
		params := jsapiParams(prepay(t, r, "JSAPI-NOT-MWEB", wxpay.TradeMWEB), "MD5", md5Sign)
		if err := r.sim.PayJSAPI(params); !errors.Is(err, wxpaysim.ErrBadPayParams) {
			t.Errorf("PayJSAPI of an MWEB order = %v, want ErrBadPayParams", err)
		}
	})
}

func TestPayApp(t *testing.T) {
	key := wxpaysim.DemoAPIKey
	appParams := func(prepayID string, sign func(string, string) string) map[string]string {
		pairs := "appid=" + wxpaysim.DemoAppID + "&noncestr=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&package=Sign=WXPay&partnerid=" +
			wxpaysim.DemoMchID + "&prepayid=" + prepayID + "&timestamp=1412000000"
		return map[string]string{"appid": wxpaysim.DemoAppID, "partnerid": wxpaysim.DemoMchID, "prepayid": prepayID,
			"package": "Sign=WXPay", "noncestr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "timestamp": "1412000000", "sign": sign(pairs, key)}
	}
	tests := []struct {
		name    string
		sign    func(string, string) string
		tamper  func(map[string]string)
		wantErr error
	}{
		{"MD5", md5Sign, nil, nil},
		{"HMAC-SHA256", hmacSign, nil, nil},
		{"tampered sign", md5Sign, func(p map[string]string) { p["sign"] = strings.Repeat("A", 32) }, wxpaysim.ErrBadPaySign},
		{"tampered timestamp", md5Sign, func(p map[string]string) { p["timestamp"] = "1412000001" }, wxpaysim.ErrBadPaySign},
		{"other partnerid", md5Sign, func(p map[string]string) { p["partnerid"] = "1900000000" }, wxpaysim.ErrBadPayParams},
		{"package", md5Sign, func(p map[string]string) { p["package"] = "prepay_id=x" }, wxpaysim.ErrBadPayParams},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := manualRig(t)
			no := "APP-PAY-" + string(rune('A'+i)) + "1"
			params := appParams(prepay(t, r, no, wxpay.TradeAPP), tt.sign)
			if tt.tamper != nil {
				tt.tamper(params)
			}
			err := r.sim.PayApp(params)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PayApp = %v, want %v", err, tt.wantErr)
			}
			o, _ := r.sim.Order(no)
			if paid := o.TradeState == wxpay.TradeSuccess; paid != (tt.wantErr == nil) {
				t.Errorf("trade_state = %s after %v", o.TradeState, err)
			}
		})
	}
}

// TestDeviceNotification: the notification and orderquery of a JSAPI order
// carry its trade type and the payer's openid.
func TestDeviceNotification(t *testing.T) {
	m := newMerchant(t, nil)
	r := newRig(t, wxpaysim.Options{})
	c := r.client(t)
	alice := r.sim.OpenID(wxpaysim.DemoAppID, "alice")
	req := orderReq("JSAPI-NOTIFY-1", m.url())
	req.TradeType, req.ProductID, req.OpenID = wxpay.TradeJSAPI, "", alice
	resp, err := c.UnifiedOrder(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	params, err := c.JSAPIPayParams(wxpaysim.DemoAppID, resp.PrepayID)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sim.PayJSAPI(params); err != nil {
		t.Fatalf("PayJSAPI with the client's own parameters: %v", err)
	}
	eventually(t, "notification", func() bool { return len(m.received()) > 0 })
	n := m.received()[0]
	if n["trade_type"] != wxpay.TradeJSAPI || n["openid"] != alice || n["appid"] != wxpaysim.DemoAppID {
		t.Errorf("notification %v: want JSAPI paid by alice", n)
	}
	q := r.signed(t, "/pay/orderquery", wxpay.Params{"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
		"nonce_str": wxpay.NewNonce(), "out_trade_no": "JSAPI-NOTIFY-1"})
	if q["trade_state"] != wxpay.TradeSuccess || q["openid"] != alice || q["trade_type"] != wxpay.TradeJSAPI {
		t.Errorf("orderquery = %v: want JSAPI paid by alice", q)
	}
}

func TestDeviceOrdersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	first := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), State: fileState(t, path)})
	jsapi := prepay(t, first, "RESTART-JSAPI", wxpay.TradeJSAPI)
	prepay(t, first, "RESTART-MWEB", wxpay.TradeMWEB, func(p wxpay.Params) { p["spbill_create_ip"] = "10.1.2.3" })
	first.sim.Close()
	second := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0.Add(time.Minute)), State: fileState(t, path)})
	o, ok := second.sim.Order("RESTART-JSAPI")
	if !ok || o.TradeType != wxpay.TradeJSAPI || o.OpenID != second.sim.OpenID(wxpaysim.DemoAppID, "alice") || o.PrepayID != jsapi {
		t.Errorf("JSAPI order after restart = %+v", o)
	}
	if o, ok := second.sim.Order("RESTART-MWEB"); !ok || o.TradeType != wxpay.TradeMWEB || o.CodeURL != "" {
		t.Errorf("MWEB order after restart = %+v", o)
	}
}
