package wxpaysim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// jsapiPage is a merchant's JSAPI page in simulator mode: it loads the
// stand-in from /sim and opens the payment sheet with params (or bad).
const jsapiPage = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="out"></div>
<button id="go" onclick="pay(params)">pay</button><button id="go-bad" onclick="pay(bad)">bad</button>
<script src="/sim/jsbridge.js"></script>
<script>
var params = %s, bad = %s;
document.addEventListener('WeixinJSBridgeReady', function () { document.getElementById('out').dataset.ready = '1'; });
function pay(p) {
  WeixinJSBridge.invoke('getBrandWCPayRequest', p, function (res) {
    var o = document.getElementById('out');
    o.dataset.result = res.err_msg;
    o.textContent = res.err_msg + ' ' + (res.err_desc || '');
  });
}
</script></body></html>`

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("no Chromium")
	}
	t.Fatal("Chromium not found: run `make test-deps` or set CHROMIUM")
	return ""
}

// TestBrowserJSBridge runs the WeixinJSBridge stand-in in real Chromium:
// cancel pays nothing, a tampered paySign is refused with 签名错误 and pays
// nothing, the client's own parameters pay the order.
func TestBrowserJSBridge(t *testing.T) {
	sim := wxpaysim.New(wxpaysim.Options{BasePath: "/sim"})
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", sim))
	var page string
	mux.HandleFunc("GET /shop", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { sim.Close(); ts.Close() })

	c, err := wxpay.NewClient(wxpay.Config{BaseURL: ts.URL + "/sim", AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		APIKey: wxpaysim.DemoAPIKey, SignType: wxpay.SignHMACSHA256, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	req := orderReq("BROWSER-JSAPI-1", "http://127.0.0.1:1/notify")
	req.TradeType, req.ProductID, req.OpenID = wxpay.TradeJSAPI, "", sim.OpenID(wxpaysim.DemoAppID, "alice")
	resp, err := c.UnifiedOrder(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	params, err := c.JSAPIPayParams(wxpaysim.DemoAppID, resp.PrepayID)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for k, v := range params {
		bad[k] = v
	}
	bad["paySign"] = strings.Repeat("0", len(params["paySign"]))
	good, _ := json.Marshal(params)
	forged, _ := json.Marshal(bad)
	page = fmt.Sprintf(jsapiPage, good, forged)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	tab, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	state := func() string { o, _ := sim.Order("BROWSER-JSAPI-1"); return o.TradeState }
	step("open the page", chromedp.Navigate(ts.URL+"/shop"), chromedp.WaitVisible(`#out[data-ready="1"]`))

	step("cancel", chromedp.Click(`#go`), chromedp.WaitVisible(`#sim-jsapi-sheet`))
	deadline := time.Now().Add(10 * time.Second)
	for {
		amount, err := chromedp.Run(tab, chromedp.Text(`#sim-jsapi-amount`))
		if err == nil && amount == "¥12.34" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sheet shows %q (%v), want ¥12.34", amount, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	step("cancel", chromedp.Click(`#sim-jsapi-cancel`),
		chromedp.WaitVisible(`#out[data-result="get_brand_wcpay_request:cancel"]`))
	if st := state(); st != wxpay.TradeNotPay {
		t.Fatalf("after cancel: %s", st)
	}

	step("forged", chromedp.Click(`#go-bad`), chromedp.WaitVisible(`#sim-jsapi-pay`),
		chromedp.Click(`#sim-jsapi-pay`),
		chromedp.WaitVisible(`#out[data-result="get_brand_wcpay_request:fail"]`))
	if text, _ := chromedp.Run(tab, chromedp.Text(`#out`)); !strings.Contains(text, "签名错误") || state() != wxpay.TradeNotPay {
		t.Fatalf("forged paySign: %q, order %s", text, state())
	}

	step("pay", chromedp.Click(`#go`), chromedp.WaitVisible(`#sim-jsapi-pay`),
		chromedp.Click(`#sim-jsapi-pay`),
		chromedp.WaitVisible(`#out[data-result="get_brand_wcpay_request:ok"]`))
	if st := state(); st != wxpay.TradeSuccess {
		t.Errorf("after paying: %s", st)
	}
}
