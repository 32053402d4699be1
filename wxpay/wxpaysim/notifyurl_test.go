package wxpaysim_test

import (
	"context"
	"strings"
	"testing"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// A simulator inside a shop may notify only the shop: any other notify_url
// is refused at unifiedorder, so placing an order cannot make the server
// POST somewhere else (SSRF).
func TestNotifyURLsRestrictUnifiedOrder(t *testing.T) {
	const shop = "http://127.0.0.1:8080/wxpay/notify"
	tests := []struct {
		name    string
		allowed []string
		url     string
		ok      bool
	}{
		{"the shop's own", []string{shop}, shop, true},
		{"another host", []string{shop}, "http://169.254.169.254/latest/meta-data", false},
		{"another path", []string{shop}, "http://127.0.0.1:8080/admin/orders", false},
		{"another port", []string{shop}, "http://127.0.0.1:6379/wxpay/notify", false},
		{"case differs", []string{shop}, "http://127.0.0.1:8080/WXPAY/notify", false},
		{"second of two", []string{"http://a.example/n", shop}, shop, true},
		{"none configured: any", nil, "http://169.254.169.254/latest/meta-data", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), NotifyURLs: tt.allowed})
			_, err := r.client(t).UnifiedOrder(context.Background(), orderReq("NU-0001", tt.url))
			_, known := r.sim.Order("NU-0001")
			if tt.ok {
				if err != nil || !known {
					t.Fatalf("unifiedorder with %s = %v (order kept: %v), want success", tt.url, err, known)
				}
				return
			}
			we := wxErr(t, err)
			if we.ErrCode != wxpay.CodeInvalidRequest || !strings.Contains(we.ErrCodeDes, "notify_url") {
				t.Errorf("err = %s %q, want %s naming notify_url", we.ErrCode, we.ErrCodeDes, wxpay.CodeInvalidRequest)
			}
			if known {
				t.Error("the refused order was kept")
			}
		})
	}
}
