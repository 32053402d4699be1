package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The merchant's own apps against the real app and its built-in simulator
// (SPEC §9): an APP order's app_params and a mini program's pay_params are
// checked the way the WeChat SDK and wx.requestPayment check them — the
// sign recomputed over exactly the fields given — and then paid at the
// simulator, which verifies them as WeChat's client would.

const (
	devPid = "4242"
	devKey = "DevicesTestKey0123456789abcdefgh"
)

func apiPost(t *testing.T, a *app, path string, body any) (int, map[string]json.RawMessage) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, a.URL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(devPid, devKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode, out
}

// stringsOnly decodes a params object whose every value must be a JSON string.
func stringsOnly(t *testing.T, raw json.RawMessage) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("params %s: every value must be a string: %v", raw, err)
	}
	return m
}

func TestAppAndMiniProgramPaymentsAgainstTheSimulator(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256} {
		t.Run(string(st), func(t *testing.T) {
			a := startApp(t, map[string]string{"GATEWAY_PID": devPid, "GATEWAY_KEY": devKey, "WXPAY_SIGN_TYPE": string(st)})
			ctx := context.Background()

			// APP: the WeChat SDK's PayReq.
			code, out := apiPost(t, a, "/api/v1/orders", map[string]any{"out_trade_no": "APP-" + string(st), "name": "会员月卡",
				"amount": 1990, "trade_type": "APP"})
			if code != http.StatusCreated || out["app_params"] == nil {
				t.Fatalf("APP order: %d %v", code, out)
			}
			ap := stringsOnly(t, out["app_params"])
			if len(ap) != 7 || ap["package"] != "Sign=WXPay" || ap["appid"] != a.cfg.AppID || ap["partnerid"] != a.cfg.MchID {
				t.Errorf("app_params %v", ap)
			}
			unsigned := wxpay.Params{}
			for k, v := range ap {
				if k != "sign" {
					unsigned[k] = v
				}
			}
			if want, _ := wxpay.Sign(unsigned, a.cfg.APIKey, st); ap["sign"] != want {
				t.Errorf("app_params sign %s, recomputed %s", ap["sign"], want)
			}
			// The APP order's pay_url opened on a PC shows a QR: a Native
			// WeChat order of its own, which pays the same order.
			var payURL string
			if err := json.Unmarshal(out["pay_url"], &payURL); err != nil || payURL == "" {
				t.Fatalf("pay_url %s: %v", out["pay_url"], err)
			}
			payURL = a.URL() + payURL[strings.Index(payURL, "/pay/"):]
			if resp, err := http.Get(payURL + "/qr.png"); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("the APP order's QR on a PC: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			appOrder, err := a.svc.MerchantOrder(ctx, mustApp(t, a), "", "APP-"+string(st))
			if err != nil {
				t.Fatal(err)
			}
			ws, err := a.store.WxOrders(ctx, appOrder.ID)
			if err != nil || len(ws) != 1 || ws[0].TradeType != wxpay.TradeNative || ws[0].PayURL == "" {
				t.Fatalf("WeChat orders of the APP order %+v (%v): want one Native order for the PC", ws, err)
			}
			if err := a.sim.PayApp(ap); err != nil {
				t.Fatalf("the simulator's SDK refused app_params: %v", err)
			}

			// Mini program: wx.login's code → openid → a JSAPI order →
			// wx.requestPayment's parameters.
			jscode := a.sim.NewJSCode(a.cfg.Devices.MiniAppID, "bob")
			code, out = apiPost(t, a, "/api/v1/miniprogram/session", map[string]string{"code": jscode})
			var sess map[string]string
			if code != http.StatusOK || json.Unmarshal(mustJSON(t, out), &sess) != nil || len(sess) != 1 {
				t.Fatalf("session: %d %v", code, out)
			}
			openid := sess["openid"]
			if openid != a.sim.OpenID(a.cfg.Devices.MiniAppID, "bob") {
				t.Errorf("openid %q, want bob's", openid)
			}
			if code, out = apiPost(t, a, "/api/v1/miniprogram/session", map[string]string{"code": jscode}); code != http.StatusBadRequest ||
				!strings.Contains(string(out["error"]), "invalid_code") && !strings.Contains(string(mustJSON(t, out)), "invalid_code") {
				t.Errorf("a used code: %d %v, want 400 invalid_code", code, out)
			}
			if code, out = apiPost(t, a, "/api/v1/orders", map[string]any{"out_trade_no": "MP0-" + string(st), "name": "x",
				"amount": 100, "trade_type": "JSAPI"}); code != http.StatusBadRequest || !strings.Contains(string(mustJSON(t, out)), "missing_openid") {
				t.Errorf("JSAPI without openid: %d %v, want 400 missing_openid", code, out)
			}
			code, out = apiPost(t, a, "/api/v1/orders", map[string]any{"out_trade_no": "MP-" + string(st), "name": "奶茶",
				"amount": 1500, "trade_type": "JSAPI", "openid": openid})
			if code != http.StatusCreated || out["pay_params"] == nil {
				t.Fatalf("JSAPI order: %d %v", code, out)
			}
			pp := stringsOnly(t, out["pay_params"])
			if len(pp) != 5 || !strings.HasPrefix(pp["package"], "prepay_id=") || pp["signType"] != string(st) {
				t.Errorf("pay_params %v", pp)
			}
			signed := wxpay.Params{"appId": a.cfg.Devices.MiniAppID}
			for k, v := range pp {
				if k != "paySign" {
					signed[k] = v
				}
			}
			if want, _ := wxpay.Sign(signed, a.cfg.APIKey, st); pp["paySign"] != want {
				t.Errorf("paySign %s, recomputed %s", pp["paySign"], want)
			}
			signed["paySign"] = pp["paySign"]
			if err := a.sim.PayJSAPI(signed); err != nil {
				t.Fatalf("the simulator's wx.requestPayment refused pay_params: %v", err)
			}

			// Both payments reach the app and pay their orders once.
			for _, no := range []string{"APP-" + string(st), "MP-" + string(st)} {
				waitPaidMerchant(t, a, no)
			}
			o, err := a.svc.MerchantOrder(ctx, mustApp(t, a), "", "MP-"+string(st))
			if err != nil || o.OpenID != openid || o.TradeType != wxpay.TradeJSAPI {
				t.Errorf("mini-program order %+v (%v)", o, err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustApp(t *testing.T, a *app) *models.MerchantApp {
	t.Helper()
	app, err := a.svc.App(context.Background(), 4242)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// waitPaidMerchant waits for the merchant order to be paid (the simulator's
// notification, or the reconciler's query).
func waitPaidMerchant(t *testing.T, a *app, merchantNo string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		o, err := a.svc.MerchantOrder(context.Background(), mustApp(t, a), "", merchantNo)
		if err == nil && o.Status == models.StatusPaid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("merchant order %s not paid: %+v %v", merchantNo, o, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
