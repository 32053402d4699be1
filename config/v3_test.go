package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// v3Files are a merchant's v3 files in a temp dir, as the merchant
// platform hands them out.
type v3Files struct {
	dir                               string
	mchKey, mchCert, pubKey, platform string // paths
	mchSerial, platformSerial         string
	pubPEM                            []byte
}

var (
	keysOnce sync.Once
	testKeys [3]*rsa.PrivateKey // merchant, WeChat Pay public key, platform
)

func keys(t *testing.T) [3]*rsa.PrivateKey {
	keysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys
}

func certPEM(t *testing.T, key *rsa.PrivateKey, serial int64) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newV3Files(t *testing.T) v3Files {
	t.Helper()
	k := keys(t)
	f := v3Files{dir: t.TempDir(), mchSerial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", platformSerial: "3A7C9E22F1"}
	write := func(name string, data []byte) string {
		p := filepath.Join(f.dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k[0])
	f.mchKey = write("apiclient_key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	mchSerial, _ := new(big.Int).SetString(f.mchSerial, 16)
	tmpl := &x509.Certificate{SerialNumber: mchSerial, Subject: pkix.Name{CommonName: "1230000109"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	cder, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k[0].PublicKey, k[0])
	if err != nil {
		t.Fatal(err)
	}
	f.mchCert = write("apiclient_cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cder}))
	pder, _ := x509.MarshalPKIXPublicKey(&k[1].PublicKey)
	f.pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder})
	f.pubKey = write("pub_key.pem", f.pubPEM)
	f.platform = write("platform_cert.pem", certPEM(t, k[2], 0x3A7C9E22F1))
	return f
}

func (f v3Files) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const apiv3Key = "0123456789abcdefghijABCDEFGHIJ01" // 32 bytes

func (f v3Files) env(mode string) map[string]string {
	m := map[string]string{"WXPAY_API_VERSION": "v3", "WXPAY_MCH_ID": "1230000109", "WXPAY_APPID": "wx1234567890abcdef",
		"PUBLIC_URL": "https://shop.example.com", "WXPAY_APIV3_KEY": apiv3Key,
		"WXPAY_MCH_PRIVATE_KEY_FILE": f.mchKey, "WXPAY_MCH_CERT_SERIAL": strings.ToLower(f.mchSerial)}
	if mode == "pubkey" || mode == "both" {
		m["WXPAY_PUBLIC_KEY_FILE"], m["WXPAY_PUBLIC_KEY_ID"] = f.pubKey, "PUB_KEY_ID_0114232134912410000000000000"
	}
	if mode == "cert" || mode == "both" {
		m["WXPAY_PLATFORM_CERT_FILE"] = f.platform
	}
	return m
}

func TestV3Modes(t *testing.T) {
	f := newV3Files(t)
	tests := []struct {
		mode    string
		serials string
	}{
		{"pubkey", "PUB_KEY_ID_0114232134912410000000000000"},
		{"cert", "3A7C9E22F1"},
		{"both", "PUB_KEY_ID_0114232134912410000000000000,3A7C9E22F1"},
	}
	for _, tt := range tests {
		c, err := Load(env(f.env(tt.mode)))
		if err != nil {
			t.Fatalf("%s: %v", tt.mode, err)
		}
		if c.APIVersion != APIv3 || c.V3 == nil || c.V3.MchCertSerial != f.mchSerial || len(c.V3.APIv3Key) != 32 {
			t.Fatalf("%s: version %s, v3 %v", tt.mode, c.APIVersion, c.V3)
		}
		if got := strings.Join(c.V3.Serials(), ","); got != tt.serials {
			t.Errorf("%s: serials %s, want %s", tt.mode, got, tt.serials)
		}
		if got := len(c.V3.Verifier().Serials()); got != strings.Count(tt.serials, ",")+1 {
			t.Errorf("%s: verifier knows %d serials", tt.mode, got)
		}
		if got := c.NotifyEndpoint(); got != "https://shop.example.com/wxpay/v3/notify" {
			t.Errorf("%s: notify URL %s", tt.mode, got)
		}
		// Neither %v nor %+v nor %#v of the config shows a key.
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			out := fmt.Sprintf(verb, c)
			if strings.Contains(out, apiv3Key) || strings.Contains(out, c.V3.MchPrivateKey.D.String()) ||
				strings.Contains(out, c.V3.MchPrivateKey.N.String()) {
				t.Errorf("%s: %s of the config shows a key", tt.mode, verb)
			}
		}
	}
	m := f.env("pubkey")
	m["WXPAY_NOTIFY_URL"] = "https://pay.example.com/hooks/wechat"
	m["WXPAY_MCH_CERT_FILE"] = f.mchCert
	delete(m, "WXPAY_API_KEY")
	m["WXPAY_SIGN_TYPE"] = "whatever" // v2's, not read in v3
	c, err := Load(env(m))
	if err != nil || c.NotifyEndpoint() != "https://pay.example.com/hooks/wechat" {
		t.Errorf("WXPAY_NOTIFY_URL in v3: %v, %s", err, c.NotifyEndpoint())
	}
}

func TestV3BadValuesNameTheVariable(t *testing.T) {
	f := newV3Files(t)
	k := keys(t)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k[0])})
	ecKey := f.write(t, "ec.pem", []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBvKP1S3Xb0gGs2ptz9BzIFyB6Yoo5TV9s0wH7ss3yRCoAoGCCqGSM49\nAwEHoUQDQgAEAs8bTtbw8Dq5FIRTuUcmIhcWdBjfW8uvbr5xRs3Ebu8mmWn5wpNv\nPfAXDwtZX5bgvM6KtgLSMPNqnpZTkn4Y1Q==\n-----END EC PRIVATE KEY-----\n"))
	mchPub, _ := x509.MarshalPKIXPublicKey(&k[0].PublicKey)
	ownPub := f.write(t, "own_pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mchPub}))
	otherCert := f.write(t, "other_cert.pem", certPEM(t, k[2], 0x1234))
	tests := []struct {
		name, mode string
		set        map[string]string // "" deletes
		want       string            // the error's start
		wantAlso   string
	}{
		{"version", "pubkey", map[string]string{"WXPAY_API_VERSION": "v4"}, "WXPAY_API_VERSION", ""},
		{"no v3 key", "pubkey", map[string]string{"WXPAY_APIV3_KEY": ""}, "WXPAY_APIV3_KEY", "required"},
		{"short v3 key", "pubkey", map[string]string{"WXPAY_APIV3_KEY": "0123456789abcdef"}, "WXPAY_APIV3_KEY", "32 bytes"},
		{"long v3 key", "pubkey", map[string]string{"WXPAY_APIV3_KEY": apiv3Key + "x"}, "WXPAY_APIV3_KEY", "32 bytes"},
		{"no private key", "pubkey", map[string]string{"WXPAY_MCH_PRIVATE_KEY_FILE": ""}, "WXPAY_MCH_PRIVATE_KEY_FILE", "required"},
		{"unreadable private key", "pubkey", map[string]string{"WXPAY_MCH_PRIVATE_KEY_FILE": filepath.Join(f.dir, "missing.pem")},
			"WXPAY_MCH_PRIVATE_KEY_FILE", "unreadable"},
		{"private key is a certificate", "pubkey", map[string]string{"WXPAY_MCH_PRIVATE_KEY_FILE": f.mchCert},
			"WXPAY_MCH_PRIVATE_KEY_FILE", "not an RSA private key"},
		{"private key is EC", "pubkey", map[string]string{"WXPAY_MCH_PRIVATE_KEY_FILE": ecKey},
			"WXPAY_MCH_PRIVATE_KEY_FILE", "not an RSA private key"},
		{"no serial", "pubkey", map[string]string{"WXPAY_MCH_CERT_SERIAL": ""}, "WXPAY_MCH_CERT_SERIAL", "required"},
		{"serial not hex", "pubkey", map[string]string{"WXPAY_MCH_CERT_SERIAL": "5157-F09E"}, "WXPAY_MCH_CERT_SERIAL", "hex"},
		{"serial of another certificate", "pubkey", map[string]string{"WXPAY_MCH_CERT_FILE": f.mchCert, "WXPAY_MCH_CERT_SERIAL": "ABCDEF"},
			"WXPAY_MCH_CERT_SERIAL", "serial mismatch"},
		{"key of another certificate", "pubkey", map[string]string{"WXPAY_MCH_CERT_FILE": otherCert, "WXPAY_MCH_CERT_SERIAL": "1234"},
			"WXPAY_MCH_PRIVATE_KEY_FILE", "not the private key"},
		{"serial is the platform's", "cert", map[string]string{"WXPAY_MCH_CERT_SERIAL": "3a7c9e22f1"}, "WXPAY_MCH_CERT_SERIAL", "serial mismatch"},
		{"no verification mode", "none", nil, "WXPAY_PUBLIC_KEY_FILE and WXPAY_PUBLIC_KEY_ID, or WXPAY_PLATFORM_CERT_FILE", "required"},
		{"public key without ID", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_ID": ""}, "WXPAY_PUBLIC_KEY_ID", "required"},
		{"ID without public key", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_FILE": ""}, "WXPAY_PUBLIC_KEY_FILE", "required"},
		{"ID malformed", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_ID": "0114232134912410000000000000"}, "WXPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_"},
		{"unreadable public key", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_FILE": f.dir}, "WXPAY_PUBLIC_KEY_FILE", "unreadable"},
		{"public key is a certificate", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_FILE": f.platform},
			"WXPAY_PUBLIC_KEY_FILE", "not an RSA public key"},
		{"public key is a private key", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_FILE": f.write(t, "pkcs1.pem", pkcs1)},
			"WXPAY_PUBLIC_KEY_FILE", "not an RSA public key"},
		{"public key is our own", "pubkey", map[string]string{"WXPAY_PUBLIC_KEY_FILE": ownPub}, "WXPAY_PUBLIC_KEY_FILE", "your own"},
		{"unreadable platform certificate", "cert", map[string]string{"WXPAY_PLATFORM_CERT_FILE": filepath.Join(f.dir, "nope.pem")},
			"WXPAY_PLATFORM_CERT_FILE", "unreadable"},
		{"platform certificate is a key", "cert", map[string]string{"WXPAY_PLATFORM_CERT_FILE": f.pubKey},
			"WXPAY_PLATFORM_CERT_FILE", "not one or more RSA certificates"},
		{"platform certificate is ours", "cert", map[string]string{"WXPAY_PLATFORM_CERT_FILE": f.mchCert},
			"WXPAY_PLATFORM_CERT_FILE", "your own"},
		{"standalone simulator without keys", "none",
			map[string]string{"WXPAY_MCH_ID": "", "PUBLIC_URL": "", "WXPAY_API_BASE": "http://127.0.0.1:9090", "WXPAY_APIV3_KEY": ""},
			"WXPAY_APIV3_KEY", "--keys"},
		{"no appid", "pubkey", map[string]string{"WXPAY_APPID": ""}, "WXPAY_APPID", ""},
		{"no public URL", "pubkey", map[string]string{"PUBLIC_URL": ""}, "PUBLIC_URL or WXPAY_NOTIFY_URL", ""},
	}
	for _, tt := range tests {
		m := f.env(tt.mode)
		for k, v := range tt.set {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		_, err := Load(env(m))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.wantAlso) {
			t.Errorf("%s: Load = %v\nwant an error naming %s and saying %q", tt.name, err, tt.want, tt.wantAlso)
			continue
		}
		if strings.Contains(err.Error(), "PRIVATE KEY-----\nMII") || strings.Contains(err.Error(), apiv3Key[:16]) {
			t.Errorf("%s: the error shows a key: %v", tt.name, err)
		}
	}
}

func TestV3Simulator(t *testing.T) {
	// Built in: the app makes its own keys, so v3 asks for nothing.
	c, err := Load(env(map[string]string{"WXPAY_API_VERSION": "V3"}))
	if err != nil || c.APIVersion != APIv3 || c.V3 != nil || !c.Simulator {
		t.Fatalf("built-in v3 simulator: %+v, %v", c, err)
	}
	if got := c.NotifyEndpoint(); got != "http://localhost:8080/wxpay/v3/notify" {
		t.Errorf("notify URL = %s", got)
	}
	// A standalone simulator: its --keys files.
	f := newV3Files(t)
	m := f.env("pubkey")
	delete(m, "WXPAY_MCH_ID")
	delete(m, "PUBLIC_URL")
	m["WXPAY_API_BASE"] = "http://127.0.0.1:9090"
	c, err = Load(env(m))
	if err != nil || !c.Simulator || c.V3 == nil || c.V3.PublicKeyID == "" {
		t.Fatalf("standalone v3 simulator: %v, %v", c.V3, err)
	}
}
