package config

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"wxcheckout/wxpay/v3"
)

// API versions of WXPAY_API_VERSION.
const (
	APIv2 = "v2"
	APIv3 = "v3"
)

// V3 holds the API v3 credentials of SPEC §7, read from their files and
// checked at start. It prints as a summary: keys never reach a log line.
type V3 struct {
	APIv3Key      []byte          // WXPAY_APIV3_KEY, 32 bytes
	MchPrivateKey *rsa.PrivateKey // WXPAY_MCH_PRIVATE_KEY_FILE
	MchCertSerial string          // WXPAY_MCH_CERT_SERIAL, upper-case hex
	// Public key mode: WXPAY_PUBLIC_KEY_FILE and WXPAY_PUBLIC_KEY_ID.
	PublicKeyID string
	PublicKey   *rsa.PublicKey
	// Platform certificate mode: WXPAY_PLATFORM_CERT_FILE, one or more.
	PlatformCerts []*x509.Certificate
}

// String names what is configured, never a key.
func (v *V3) String() string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("v3{serial %s, verify by %s}", v.MchCertSerial, strings.Join(v.Serials(), ", "))
}

// GoString keeps %#v from printing the keys too.
func (v *V3) GoString() string { return v.String() }

// Serials are the Wechatpay-Serial values the app accepts: the public key
// ID and every platform certificate's serial. Both modes at once is the
// switch from certificates to the public key.
func (v *V3) Serials() []string {
	var out []string
	if v.PublicKeyID != "" {
		out = append(out, v.PublicKeyID)
	}
	for _, c := range v.PlatformCerts {
		out = append(out, wxpayv3.SerialHex(c.SerialNumber))
	}
	return out
}

// Verifier is a verifier of WeChat's replies and notifications that knows
// every configured key.
func (v *V3) Verifier() *wxpayv3.Verifier {
	ver := wxpayv3.NewVerifier()
	if v.PublicKey != nil {
		ver.Add(v.PublicKeyID, v.PublicKey)
	}
	for _, c := range v.PlatformCerts {
		ver.Add(wxpayv3.SerialHex(c.SerialNumber), c.PublicKey.(*rsa.PublicKey))
	}
	return ver
}

// loadAPIVersion reads WXPAY_API_VERSION.
func (c *Config) loadAPIVersion(env func(string, string) string) error {
	switch v := strings.ToLower(env("WXPAY_API_VERSION", APIv2)); v {
	case APIv2, APIv3:
		c.APIVersion = v
		return nil
	}
	return fmt.Errorf("WXPAY_API_VERSION %q: want v2 or v3", env("WXPAY_API_VERSION", ""))
}

// loadV3 reads and checks the v3 credentials. Every message names the
// variable to fix and never quotes a key.
func loadV3(env func(string, string) string) (*V3, error) {
	v := &V3{}
	key := env("WXPAY_APIV3_KEY", "")
	switch {
	case key == "":
		return nil, fmt.Errorf("WXPAY_APIV3_KEY is required in v3 (WXPAY_API_VERSION=v3): the 32-byte APIv3 key set in the merchant platform")
	case len(key) != wxpayv3.KeyLen:
		return nil, fmt.Errorf("WXPAY_APIV3_KEY: an APIv3 key is exactly %d bytes, got %d", wxpayv3.KeyLen, len(key))
	}
	v.APIv3Key = []byte(key)
	if err := v.loadMerchantKey(env); err != nil {
		return nil, err
	}
	if err := v.loadPublicKey(env); err != nil {
		return nil, err
	}
	if err := v.loadPlatformCerts(env); err != nil {
		return nil, err
	}
	if v.PublicKey == nil && len(v.PlatformCerts) == 0 {
		return nil, fmt.Errorf("WXPAY_PUBLIC_KEY_FILE and WXPAY_PUBLIC_KEY_ID, or WXPAY_PLATFORM_CERT_FILE, are required in v3: " +
			"no way to verify WeChat Pay's signatures (set the public key mode, the platform certificate mode, or both during a switch)")
	}
	return v, nil
}

func (v *V3) loadMerchantKey(env func(string, string) string) error {
	path := env("WXPAY_MCH_PRIVATE_KEY_FILE", "")
	if path == "" {
		return fmt.Errorf("WXPAY_MCH_PRIVATE_KEY_FILE is required in v3: the merchant API private key, apiclient_key.pem")
	}
	data, err := readFile("WXPAY_MCH_PRIVATE_KEY_FILE", path)
	if err != nil {
		return err
	}
	if v.MchPrivateKey, err = wxpayv3.ParsePrivateKey(data); err != nil {
		return fmt.Errorf("WXPAY_MCH_PRIVATE_KEY_FILE %q: not an RSA private key in PEM (want apiclient_key.pem, "+
			"\"-----BEGIN PRIVATE KEY-----\"): %s", path, keyProblem(err))
	}
	if bits := v.MchPrivateKey.N.BitLen(); bits < 2048 {
		return fmt.Errorf("WXPAY_MCH_PRIVATE_KEY_FILE %q: an RSA key of %d bits; WeChat Pay's merchant API keys are RSA 2048", path, bits)
	}
	serial := env("WXPAY_MCH_CERT_SERIAL", "")
	if serial == "" {
		return fmt.Errorf("WXPAY_MCH_CERT_SERIAL is required in v3: the serial number (hex) of the merchant API certificate")
	}
	if !isHex(serial) {
		return fmt.Errorf("WXPAY_MCH_CERT_SERIAL %q: want the certificate's serial number in hex, as openssl x509 -serial prints it", clip(serial))
	}
	v.MchCertSerial = strings.ToUpper(serial)
	return v.checkMerchantCert(env)
}

// checkMerchantCert cross-checks WXPAY_MCH_CERT_SERIAL and the private key
// against the merchant certificate when WXPAY_MCH_CERT_FILE names it
// (optional): a serial of another certificate makes every call fail with
// SIGN_ERROR, far from its cause.
func (v *V3) checkMerchantCert(env func(string, string) string) error {
	path := env("WXPAY_MCH_CERT_FILE", "")
	if path == "" {
		return nil
	}
	data, err := readFile("WXPAY_MCH_CERT_FILE", path)
	if err != nil {
		return err
	}
	certs, err := wxpayv3.ParseCertificates(data)
	if err != nil {
		return fmt.Errorf("WXPAY_MCH_CERT_FILE %q: not an RSA certificate in PEM (want apiclient_cert.pem): %s", path, keyProblem(err))
	}
	if got := wxpayv3.SerialHex(certs[0].SerialNumber); got != v.MchCertSerial {
		return fmt.Errorf("WXPAY_MCH_CERT_SERIAL %s does not match the serial %s of the certificate in WXPAY_MCH_CERT_FILE (serial mismatch)",
			v.MchCertSerial, got)
	}
	if !v.MchPrivateKey.PublicKey.Equal(certs[0].PublicKey) {
		return fmt.Errorf("WXPAY_MCH_PRIVATE_KEY_FILE is not the private key of the certificate in WXPAY_MCH_CERT_FILE")
	}
	return nil
}

func (v *V3) loadPublicKey(env func(string, string) string) error {
	path, id := env("WXPAY_PUBLIC_KEY_FILE", ""), env("WXPAY_PUBLIC_KEY_ID", "")
	switch {
	case path == "" && id == "":
		return nil
	case id == "":
		return fmt.Errorf("WXPAY_PUBLIC_KEY_ID is required with WXPAY_PUBLIC_KEY_FILE: the key's ID, PUB_KEY_ID_…, from the merchant platform")
	case path == "":
		return fmt.Errorf("WXPAY_PUBLIC_KEY_FILE is required with WXPAY_PUBLIC_KEY_ID: the WeChat Pay public key, pub_key.pem")
	case !strings.HasPrefix(id, "PUB_KEY_ID_") || len(id) > 64:
		return fmt.Errorf("WXPAY_PUBLIC_KEY_ID %q: want the ID shown beside the key in the merchant platform, PUB_KEY_ID_ and digits", clip(id))
	}
	data, err := readFile("WXPAY_PUBLIC_KEY_FILE", path)
	if err != nil {
		return err
	}
	if v.PublicKey, err = wxpayv3.ParsePublicKey(data); err != nil {
		return fmt.Errorf("WXPAY_PUBLIC_KEY_FILE %q: not an RSA public key in PEM (want pub_key.pem, \"-----BEGIN PUBLIC KEY-----\"; "+
			"a platform certificate goes in WXPAY_PLATFORM_CERT_FILE): %s", path, keyProblem(err))
	}
	if v.PublicKey.Equal(&v.MchPrivateKey.PublicKey) {
		return fmt.Errorf("WXPAY_PUBLIC_KEY_FILE holds the public half of your own merchant key, not WeChat Pay's public key")
	}
	v.PublicKeyID = id
	return nil
}

func (v *V3) loadPlatformCerts(env func(string, string) string) error {
	path := env("WXPAY_PLATFORM_CERT_FILE", "")
	if path == "" {
		return nil
	}
	data, err := readFile("WXPAY_PLATFORM_CERT_FILE", path)
	if err != nil {
		return err
	}
	if v.PlatformCerts, err = wxpayv3.ParseCertificates(data); err != nil {
		return fmt.Errorf("WXPAY_PLATFORM_CERT_FILE %q: not one or more RSA certificates in PEM (\"-----BEGIN CERTIFICATE-----\"): %s",
			path, keyProblem(err))
	}
	for _, c := range v.PlatformCerts {
		if v.MchPrivateKey.PublicKey.Equal(c.PublicKey) {
			return fmt.Errorf("WXPAY_PLATFORM_CERT_FILE holds your own merchant certificate, not a WeChat Pay platform certificate")
		}
		if s := wxpayv3.SerialHex(c.SerialNumber); s == v.MchCertSerial {
			return fmt.Errorf("WXPAY_MCH_CERT_SERIAL %s is the serial of a platform certificate in WXPAY_PLATFORM_CERT_FILE "+
				"(serial mismatch): give the serial of your merchant API certificate, apiclient_cert.pem", s)
		}
	}
	return nil
}

// readFile reads a key file; the message names the variable and the path.
func readFile(name, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s %q: unreadable: %v", name, path, err)
	}
	return data, nil
}

// keyProblem is a parse error's text without the package prefix; it never
// holds key material (the parsers report types and structure only).
func keyProblem(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, wxpayv3.ErrBadKey.Error()+": ")
	return clip(s)
}

func isHex(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
