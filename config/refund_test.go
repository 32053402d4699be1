package config

import (
	"fmt"
	"strings"
	"testing"
)

const merchantDir = "../wxpay/testdata/merchant/"

// The merchant certificate for v2 refunds: a .p12 (password defaulting to
// the mch_id) or PEM files; each mistake is named by its variable and
// never repeats the password.
func TestMerchantCertificateForRefunds(t *testing.T) {
	real := map[string]string{"WXPAY_MCH_ID": "10000100", "WXPAY_APPID": "wx2421b1c4370ec43b",
		"WXPAY_API_KEY": "192006250b4c09247ec02edce69f6a2d", "PUBLIC_URL": "https://shop.example.com"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range real {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	c, err := Load(env(real))
	if err != nil || c.ClientCert != nil {
		t.Fatalf("without a certificate: %v %v", c.ClientCert, err)
	}
	if c.RefundNotifyEndpoint() != "https://shop.example.com/wxpay/refund-notify" {
		t.Errorf("refund notify URL %s", c.RefundNotifyEndpoint())
	}
	for name, m := range map[string]map[string]string{
		"p12, password = mch_id": {"WXPAY_CERT_P12_FILE": merchantDir + "apiclient_cert_legacy.p12"},
		"p12, password given":    {"WXPAY_CERT_P12_FILE": merchantDir + "apiclient_cert_modern.p12", "WXPAY_CERT_P12_PASSWORD": "s3cret-p12-pass"},
		"PEM":                    {"WXPAY_CERT_FILE": merchantDir + "apiclient_cert.pem", "WXPAY_KEY_FILE": merchantDir + "apiclient_key.pem"},
	} {
		c, err := Load(env(with(m)))
		if err != nil || c.ClientCert == nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s := fmt.Sprintf("%v %+v %#v", c, c, c.ClientCert); strings.Contains(s, "PRIVATE") || strings.Contains(s, "s3cret") {
			t.Errorf("%s: the printed config shows the key or password", name)
		}
	}
	for name, tc := range map[string]struct {
		m    map[string]string
		want string
	}{
		"wrong password": {map[string]string{"WXPAY_CERT_P12_FILE": merchantDir + "apiclient_cert_modern.p12", "WXPAY_CERT_P12_PASSWORD": "wrong-pass-123"}, "WXPAY_CERT_P12_FILE"},
		"missing file":   {map[string]string{"WXPAY_CERT_P12_FILE": "/nonexistent.p12"}, "WXPAY_CERT_P12_FILE"},
		"cert only":      {map[string]string{"WXPAY_CERT_FILE": merchantDir + "apiclient_cert.pem"}, "WXPAY_KEY_FILE"},
		"both forms": {map[string]string{"WXPAY_CERT_P12_FILE": merchantDir + "apiclient_cert_legacy.p12",
			"WXPAY_CERT_FILE": merchantDir + "apiclient_cert.pem", "WXPAY_KEY_FILE": merchantDir + "apiclient_key.pem"}, "not both"},
		"key of another cert": {map[string]string{"WXPAY_CERT_FILE": merchantDir + "apiclient_cert.pem", "WXPAY_KEY_FILE": merchantDir + "other_key.pem"}, "WXPAY_CERT_FILE"},
	} {
		_, err := Load(env(with(tc.m)))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "wrong-pass-123") {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
}
