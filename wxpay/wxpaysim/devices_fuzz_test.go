package wxpaysim_test

import (
	"testing"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// FuzzPayJSAPI: whatever parameters a page posts, a JSAPI order is paid
// only with a paySign that really is the API key's signature over them.
func FuzzPayJSAPI(f *testing.F) {
	r := manualRig(f)
	prepayID := prepayFor(f, r)
	f.Add(wxpaysim.DemoAppID, "1414561699", "nonce", "", "MD5", "0123456789ABCDEF0123456789ABCDEF")
	f.Add(wxpaysim.DemoAppID, "x", "", "&x=1", "HMAC-SHA256", "")
	f.Add("", "1", "n", "", "RSA", "AAAA")
	f.Fuzz(func(t *testing.T, appID, ts, nonce, pkgSuffix, signType, paySign string) {
		p := map[string]string{"appId": appID, "timeStamp": ts, "nonceStr": nonce,
			"package": "prepay_id=" + prepayID + pkgSuffix, "signType": signType, "paySign": paySign}
		if r.sim.PayJSAPI(p) != nil {
			return
		}
		st, err := wxpay.ParseSignType(signType)
		if err != nil {
			t.Fatalf("paid with signType %q", signType)
		}
		signed := wxpay.Params{"appId": appID, "timeStamp": ts, "nonceStr": nonce, "package": p["package"], "signType": signType}
		if want, _ := wxpay.Sign(signed, wxpaysim.DemoAPIKey, st); want != paySign {
			t.Fatalf("paid with paySign %q, want %q", paySign, want)
		}
	})
}

func prepayFor(tb testing.TB, r *rig) string {
	tb.Helper()
	p := deviceFields(r.sim, "FUZZ-JSAPI-1", wxpay.TradeJSAPI)
	reply := r.signed(tb, "/pay/unifiedorder", p)
	if reply["prepay_id"] == "" {
		tb.Fatalf("unifiedorder: %v", reply)
	}
	return reply["prepay_id"]
}
