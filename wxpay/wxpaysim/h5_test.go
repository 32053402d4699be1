package wxpaysim_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// mweb places an MWEB order from ip and returns its mweb_url, relative to
// the rig (PublicBase is empty).
func mweb(t *testing.T, r *rig, no, ip string) string {
	t.Helper()
	p := deviceFields(r.sim, no, wxpay.TradeMWEB)
	p["spbill_create_ip"] = ip
	reply := r.signed(t, "/pay/unifiedorder", p)
	if !strings.HasPrefix(reply["mweb_url"], "/checkmweb?prepay_id=") {
		t.Fatalf("mweb_url %q", reply["mweb_url"])
	}
	return reply["mweb_url"]
}

func TestH5CashierRefusals(t *testing.T) {
	r := manualRig(t)
	old := mweb(t, r, "H5-OLD", "127.0.0.1")
	r.clock.Advance(5 * time.Minute)
	fromElsewhere := mweb(t, r, "H5-OTHER-IP", "10.9.8.7")
	fresh := mweb(t, r, "H5-FRESH", "::1") // loopback: the same machine as 127.0.0.1
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"another IP", fromElsewhere, http.StatusForbidden, "网络环境未能通过安全验证"},
		{"after 5 minutes", old, http.StatusGone, "网页已过期"},
		{"unknown prepay_id", "/checkmweb?prepay_id=wx1&package=1", http.StatusForbidden, "商家参数格式有误，请联系商家解决"},
		{"wrong package", strings.Split(fresh, "&package=")[0] + "&package=1", http.StatusForbidden, "商家参数格式有误"},
		{"relative redirect_url", fresh + "&redirect_url=" + url.QueryEscape("/back"), http.StatusBadRequest, "redirect_url"},
		{"fresh, from loopback", fresh, http.StatusOK, `id="sim-h5-pay"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := getBody(t, r.ts.Client(), r.ts.URL+tt.path)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %q, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	// Paying is refused for the same reasons, and pays nothing.
	u, _ := url.Parse(fromElsewhere)
	resp := h5Submit(t, r, u.Query(), "pay", "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("pay from another IP: %d", resp.StatusCode)
	}
	for _, no := range []string{"H5-OTHER-IP", "H5-OLD", "H5-FRESH"} {
		if o, _ := r.sim.Order(no); o.TradeState != wxpay.TradeNotPay {
			t.Errorf("%s is %s, want NOTPAY", no, o.TradeState)
		}
	}
}

func h5Submit(t *testing.T, r *rig, q url.Values, action, redirect string) *http.Response {
	t.Helper()
	form := url.Values{"prepay_id": {q.Get("prepay_id")}, "package": {q.Get("package")}, "action": {action}}
	if redirect != "" {
		form.Set("redirect_url", redirect)
	}
	resp, err := noRedirect(r).PostForm(r.ts.URL+"/checkmweb", form)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestH5CashierPays(t *testing.T) {
	r := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), PublicBase: "http://sim.example/sim/"})
	p := deviceFields(r.sim, "H5-PAY-1", wxpay.TradeMWEB)
	reply := r.signed(t, "/pay/unifiedorder", p)
	u, err := url.Parse(reply["mweb_url"])
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "http://sim.example/sim/checkmweb" {
		t.Fatalf("mweb_url %q, want under PublicBase", reply["mweb_url"])
	}
	back := "https://shop.example/pay/t1?h5=1"
	if resp := h5Submit(t, r, u.Query(), "cancel", back); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != back {
		t.Errorf("cancel: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if o, _ := r.sim.Order("H5-PAY-1"); o.TradeState != wxpay.TradeNotPay {
		t.Fatalf("cancel paid: %s", o.TradeState)
	}
	if resp := h5Submit(t, r, u.Query(), "pay", back); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != back {
		t.Errorf("pay: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	o, _ := r.sim.Order("H5-PAY-1")
	if o.TradeState != wxpay.TradeSuccess || o.OpenID != r.sim.OpenID(wxpaysim.DemoAppID, "h5-user") {
		t.Errorf("after pay: %+v", o)
	}
	if resp := h5Submit(t, r, u.Query(), "pay", ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("paying again: %d, want 409", resp.StatusCode)
	}
}

// TestH5ClientIPHook: behind a proxy the shop names the browser's address.
func TestH5ClientIPHook(t *testing.T) {
	r := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0),
		ClientIP: func(req *http.Request) string { return req.Header.Get("X-Test-Client") }})
	u := mweb(t, r, "H5-PROXY-1", "203.0.113.9")
	for _, tt := range []struct {
		client string
		status int
	}{{"203.0.113.9", http.StatusOK}, {"127.0.0.1", http.StatusForbidden}, {"", http.StatusForbidden}} {
		req, _ := http.NewRequest(http.MethodGet, r.ts.URL+u, nil)
		req.Header.Set("X-Test-Client", tt.client)
		resp, err := r.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("client %q: %d, want %d", tt.client, resp.StatusCode, tt.status)
		}
	}
}
