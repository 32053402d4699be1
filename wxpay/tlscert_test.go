package wxpay_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

// The fixtures in testdata/merchant are made by OpenSSL (gen.sh there).
func merchantFile(name string) string { return filepath.Join("testdata", "merchant", name) }

const modernP12Password = "s3cret-p12-pass"

// merchantLeaf is the merchant certificate as openssl wrote it in PEM.
func merchantLeaf(tb testing.TB) *x509.Certificate {
	tb.Helper()
	data, err := os.ReadFile(merchantFile("apiclient_cert.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		tb.Fatal("apiclient_cert.pem holds no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestLoadClientCertificate(t *testing.T) {
	leaf := merchantLeaf(t)
	tests := []struct {
		name                             string
		p12, password, certFile, keyFile string
		wantChain                        int
	}{
		{"legacy p12, password defaults to mch_id", "apiclient_cert_legacy.p12", "", "", "", 1},
		{"legacy p12, mch_id given", "apiclient_cert_legacy.p12", testMchID, "", "", 1},
		{"OpenSSL 3 p12 (AES/PBES2)", "apiclient_cert_modern.p12", modernP12Password, "", "", 1},
		{"p12 with its CA", "apiclient_cert_chain.p12", "", "", "", 2},
		{"PEM certificate and key", "", "", "apiclient_cert.pem", "apiclient_key.pem", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p12, certFile, keyFile := path(tt.p12), path(tt.certFile), path(tt.keyFile)
			cert, err := wxpay.LoadClientCertificate(p12, tt.password, certFile, keyFile, testMchID)
			if err != nil {
				t.Fatalf("LoadClientCertificate: %v", err)
			}
			if len(cert.Certificate) != tt.wantChain {
				t.Errorf("chain of %d certificates, want %d", len(cert.Certificate), tt.wantChain)
			}
			if len(cert.Certificate) == 0 || string(cert.Certificate[0]) != string(leaf.Raw) {
				t.Fatal("first certificate is not the merchant's")
			}
			// The pair must be usable for a handshake: the key matches the leaf.
			if _, err := tls.X509KeyPair(pemCert(cert.Certificate[0]), pemKey(t, cert)); err != nil {
				t.Errorf("loaded key does not match the certificate: %v", err)
			}
		})
	}
}

func path(name string) string {
	if name == "" {
		return ""
	}
	return merchantFile(name)
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pemKey(tb testing.TB, c tls.Certificate) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestLoadClientCertificateErrors(t *testing.T) {
	const secret = "not-the-password-x7"
	tests := []struct {
		name                             string
		p12, password, certFile, keyFile string
		want                             string
	}{
		{"wrong p12 password", "apiclient_cert_modern.p12", secret, "", "", "wrong .p12 password"},
		{"p12 whose password is not the default", "apiclient_cert_modern.p12", "", "", "", "wrong .p12 password"},
		{"PEM given as p12", "apiclient_cert.pem", secret, "", "", "not a usable .p12"},
		{"missing p12", "nope.p12", secret, "", "", "no such file"},
		{"key does not match", "", "", "apiclient_cert.pem", "other_key.pem", "does not match"},
		{"key given as certificate", "", "", "apiclient_key.pem", "apiclient_key.pem", "certificate"},
		{"certificate without key", "", "", "apiclient_cert.pem", "", "both a PEM certificate and a PEM key"},
		{"nothing", "", "", "", "", "needed"},
		{"both forms", "apiclient_cert_legacy.p12", secret, "apiclient_cert.pem", "apiclient_key.pem", "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := wxpay.LoadClientCertificate(path(tt.p12), tt.password, path(tt.certFile), path(tt.keyFile), testMchID)
			if !errors.Is(err, wxpay.ErrClientCert) {
				t.Fatalf("err = %v, want ErrClientCert", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), testMchID) {
				t.Errorf("err %q repeats the password", err)
			}
		})
	}
}
