package wxpaysim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// The files of `wxcheckout sim --tls DIR` (SPEC §8): the simulator's CA,
// which a merchant trusts (SSL_CERT_FILE=ca.pem), and the merchant's API
// certificate signed by it, in the forms WeChat hands out: a .p12 whose
// password is the mch_id, and PEM files.
const (
	FileTLSCA      = "ca.pem"
	FileTLSCAKey   = "ca_key.pem" // the simulator's own: signs its server certificate at each start
	FileClientCert = "apiclient_cert.pem"
	FileClientKey  = "apiclient_key.pem"
	FileClientP12  = "apiclient_cert.p12"
)

// Validity of what --tls makes. The server certificate is made afresh at
// each start from the CA key, so it never needs replacing.
const (
	caValidity     = 10 * 365 * 24 * time.Hour
	clientValidity = 5 * 365 * 24 * time.Hour // WeChat's API certificates last five years
	serverValidity = 365 * 24 * time.Hour
)

// clientKeyBits: WeChat's merchant API certificates are RSA 2048.
const clientKeyBits = 2048

// TLSFiles is the simulator's certificate authority and the merchant API
// certificate it signed, as read from (or written into) a --tls directory.
type TLSFiles struct {
	CA     *x509.Certificate
	caKey  crypto.Signer
	Client tls.Certificate // the merchant's certificate and key, Leaf set
}

// LoadOrCreateTLS reads the --tls files from dir, first creating (with the
// directory) any that are missing; existing files are never replaced. A
// certificate is made for an existing private key; a certificate without
// its key is an error, as is a merchant certificate the CA did not sign or
// that names another mch_id. The .p12 is written with LegacyRC2 (RC2-40
// certificate, 3DES key, SHA-1 MAC), as WeChat issues them, password
// mchID. Private files get mode 0600.
func LoadOrCreateTLS(dir, mchID string) (*TLSFiles, error) {
	if err := os.MkdirAll(dir, keysDirPermissions); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	files := map[string][]byte{}
	for _, name := range []string{FileTLSCA, FileTLSCAKey, FileClientCert, FileClientKey, FileClientP12} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("tls: %w", err)
		default:
			files[name] = b
		}
	}
	created := map[string]bool{}
	t, err := completeTLSFiles(files, created, mchID)
	if err != nil {
		return nil, fmt.Errorf("tls files in %s: %w", dir, err)
	}
	for _, name := range []string{FileTLSCAKey, FileTLSCA, FileClientKey, FileClientCert, FileClientP12} {
		if !created[name] {
			continue
		}
		mode := os.FileMode(privateFileMode)
		if name == FileTLSCA || name == FileClientCert {
			mode = publicFileMode
		}
		if err := writeNewFile(filepath.Join(dir, name), files[name], mode); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	return t, nil
}

func completeTLSFiles(files map[string][]byte, created map[string]bool, mchID string) (*TLSFiles, error) {
	add := func(name string, b []byte) { files[name], created[name] = b, true }
	caKey, err := loadOrMakeKey(files, add, FileTLSCAKey, FileTLSCA, false)
	if err != nil {
		return nil, err
	}
	if _, ok := files[FileTLSCA]; !ok {
		der, err := issue(caTemplate(), caKey.Public(), nil, caKey)
		if err != nil {
			return nil, fmt.Errorf("make %s: %w", FileTLSCA, err)
		}
		add(FileTLSCA, tlsCertPEM(der))
	}
	ca, err := parseTLSCert(files, FileTLSCA)
	if err != nil {
		return nil, err
	}
	clientKey, err := loadOrMakeKey(files, add, FileClientKey, FileClientCert, true)
	if err != nil {
		return nil, err
	}
	if _, ok := files[FileClientCert]; !ok {
		der, err := issue(clientTemplate(mchID), clientKey.Public(), ca, caKey)
		if err != nil {
			return nil, fmt.Errorf("make %s: %w", FileClientCert, err)
		}
		add(FileClientCert, tlsCertPEM(der))
	}
	client, err := parseTLSCert(files, FileClientCert)
	if err != nil {
		return nil, err
	}
	switch {
	case client.CheckSignatureFrom(ca) != nil:
		return nil, fmt.Errorf("%s is not signed by %s (remove the apiclient_* files to make new ones)", FileClientCert, FileTLSCA)
	case client.Subject.CommonName != mchID:
		return nil, fmt.Errorf("%s is for mch_id %q, not %q (remove the apiclient_* files to make new ones)",
			FileClientCert, client.Subject.CommonName, mchID)
	}
	if _, ok := files[FileClientP12]; !ok {
		p12, err := pkcs12.LegacyRC2.Encode(clientKey, client, nil, mchID) // the key and its certificate only, as WeChat's
		if err != nil {
			return nil, fmt.Errorf("make %s: %w", FileClientP12, err)
		}
		add(FileClientP12, p12)
	}
	return &TLSFiles{
		CA: ca, caKey: caKey,
		Client: tls.Certificate{Certificate: [][]byte{client.Raw}, PrivateKey: clientKey, Leaf: client},
	}, nil
}

// loadOrMakeKey parses keyName, or makes a key when it and certName are
// both missing: RSA 2048 for the merchant, like WeChat's, P-256 otherwise.
func loadOrMakeKey(files map[string][]byte, add func(string, []byte), keyName, certName string, useRSA bool) (crypto.Signer, error) {
	b, ok := files[keyName]
	if !ok {
		if _, hasCert := files[certName]; hasCert {
			return nil, fmt.Errorf("%s exists but %s does not (remove %s to make a new pair)", certName, keyName, certName)
		}
		var k crypto.Signer
		var err error
		if useRSA {
			k, err = rsa.GenerateKey(rand.Reader, clientKeyBits)
		} else {
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", keyName, err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		add(keyName, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		return k, nil
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", keyName)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		if rk, rerr := x509.ParsePKCS1PrivateKey(blk.Bytes); rerr == nil {
			return rk, nil
		}
		return nil, fmt.Errorf("%s: %w", keyName, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", keyName)
	}
	return signer, nil
}

func parseTLSCert(files map[string][]byte, name string) (*x509.Certificate, error) {
	blk, _ := pem.Decode(files[name])
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no CERTIFICATE PEM block", name)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func tlsCertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// issue signs tmpl for pub with key, as parent (nil: self-signed) names.
func issue(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer) ([]byte, error) {
	serial := make([]byte, 16)
	if _, err := rand.Read(serial); err != nil {
		return nil, err
	}
	serial[0] &= 0x7f
	tmpl.SerialNumber = new(big.Int).SetBytes(serial)
	if parent == nil {
		parent = tmpl
	}
	return x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
}

func caTemplate() *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: "wxpaysim CA (not WeChat; for tests only)", Organization: []string{"wxcheckout simulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
}

// clientTemplate is shaped like WeChat's merchant API certificates: the
// mch_id as common name.
func clientTemplate(mchID string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: mchID, Organization: []string{"微信商户系统"},
			OrganizationalUnit: []string{"wxpaysim 演示商户"}, Country: []string{"CN"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(clientValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// CAPool is a pool holding only the simulator's CA, as a merchant's
// SSL_CERT_FILE=ca.pem does.
func (t *TLSFiles) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(t.CA)
	return p
}

// ServerConfig makes a server certificate for localhost, 127.0.0.1, ::1
// and hosts (names or addresses), signed by the CA, and returns the TLS
// configuration of `wxcheckout sim --tls`: a client certificate signed by
// the CA is verified when given; /secapi/ refuses a call without one
// (Options.ClientCertRequired), other paths do not ask.
func (t *TLSFiles) ServerConfig(hosts ...string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "wxpaysim", Organization: []string{"wxcheckout simulator"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(serverValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() && !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "" && !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := issue(tmpl, key.Public(), t.CA, t.caKey)
	if err != nil {
		return nil, fmt.Errorf("tls: server certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, t.CA.Raw}, PrivateKey: key}},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    t.CAPool(),
		MinVersion:   tls.VersionTLS12,
	}, nil
}
