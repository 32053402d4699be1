package config

import (
	"crypto/tls"
	"fmt"
	"os"

	"wxcheckout/wxpay"
)

// loadClientCert reads API v2's merchant certificate (SPEC §8), which
// /secapi/pay/refund needs over mutual TLS: WXPAY_CERT_P12_FILE (password
// WXPAY_CERT_P12_PASSWORD, default the mch_id) or WXPAY_CERT_FILE with
// WXPAY_KEY_FILE (PEM). Optional: without it, refunds are refused with a
// message saying what to set. Errors name the variable, never the password.
func (c *Config) loadClientCert(env func(string, string) string) error {
	p12, pass := env("WXPAY_CERT_P12_FILE", ""), env("WXPAY_CERT_P12_PASSWORD", "")
	certFile, keyFile := env("WXPAY_CERT_FILE", ""), env("WXPAY_KEY_FILE", "")
	switch {
	case p12 == "" && certFile == "" && keyFile == "":
		return nil
	case p12 != "" && (certFile != "" || keyFile != ""):
		return fmt.Errorf("WXPAY_CERT_P12_FILE and WXPAY_CERT_FILE/WXPAY_KEY_FILE: set one form of the merchant certificate, not both")
	case p12 == "" && (certFile == "" || keyFile == ""):
		return fmt.Errorf("WXPAY_CERT_FILE and WXPAY_KEY_FILE: set both (the merchant certificate and its key, PEM), or WXPAY_CERT_P12_FILE")
	}
	name := "WXPAY_CERT_P12_FILE"
	if p12 == "" {
		name = "WXPAY_CERT_FILE/WXPAY_KEY_FILE"
	}
	for _, f := range []string{p12, certFile, keyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s: %q is not readable: %v", name, f, err)
		}
	}
	cert, err := wxpay.LoadClientCertificate(p12, pass, certFile, keyFile, c.MchID)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	c.ClientCert = &ClientCert{Certificate: cert}
	return nil
}

// ClientCert is the merchant certificate with its private key. It prints
// as a mark only: the key never reaches a log line.
type ClientCert struct{ tls.Certificate }

// String says that a certificate is set, nothing of it.
func (c *ClientCert) String() string {
	if c == nil {
		return "<nil>"
	}
	return "merchant certificate (set)"
}

// GoString keeps %#v from printing the key too.
func (c *ClientCert) GoString() string { return c.String() }

// RefundNotifyEndpoint is where WeChat reports refunds: in v2
// PUBLIC_URL + /wxpay/refund-notify, in v3 the one notify URL.
func (c *Config) RefundNotifyEndpoint() string {
	if c.APIVersion == APIv3 {
		return c.NotifyEndpoint()
	}
	return c.PublicURL + "/wxpay/refund-notify"
}
