package wxpay

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrClientCert is a merchant certificate that cannot be used. Errors from
// LoadClientCertificate wrap it and say what is wrong, never the password.
var ErrClientCert = errors.New("wxpay: merchant certificate")

// LoadClientCertificate reads the merchant certificate that /secapi/ calls
// (refunds) present over mutual TLS: either a .p12 bundle (p12File, with
// password defaulting to mchID, as WeChat issues it) or a PEM certificate
// and key (certFile and keyFile). Exactly one of the two forms is given.
func LoadClientCertificate(p12File, password, certFile, keyFile, mchID string) (tls.Certificate, error) {
	switch {
	case p12File != "" && (certFile != "" || keyFile != ""):
		return tls.Certificate{}, fmt.Errorf("%w: give either a .p12 file or a PEM certificate and key, not both", ErrClientCert)
	case p12File != "":
		data, err := os.ReadFile(p12File)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%w: %w", ErrClientCert, err)
		}
		if password == "" {
			password = mchID
		}
		cert, err := ParseP12(data, password)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%s: %w", p12File, err)
		}
		return cert, nil
	case certFile == "" || keyFile == "":
		return tls.Certificate{}, fmt.Errorf("%w: a .p12 file, or both a PEM certificate and a PEM key, are needed", ErrClientCert)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %w", ErrClientCert, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %w", ErrClientCert, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// tls's messages already say which part is wrong ("failed to find
		// any PEM data in certificate input", "private key does not match
		// public key"); the key bytes are never in them.
		return tls.Certificate{}, fmt.Errorf("%w: %s and %s: %w", ErrClientCert, certFile, keyFile, err)
	}
	return cert, nil
}

// ParseP12 reads a PKCS#12 bundle holding the merchant's key and certificate,
// in WeChat's legacy encryption (RC2-40 and 3DES, SHA-1 MAC) or OpenSSL 3's
// (PBES2 with AES, SHA-256 MAC). Other certificates in the bundle (a CA
// chain) are sent along after the one matching the key.
func ParseP12(data []byte, password string) (tls.Certificate, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return tls.Certificate{}, fmt.Errorf("%w: wrong .p12 password (the default is the mch_id)", ErrClientCert)
	case err != nil:
		// go-pkcs12's messages name the structure at fault, never the password.
		return tls.Certificate{}, fmt.Errorf("%w: not a usable .p12 bundle: %w", ErrClientCert, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return tls.Certificate{}, fmt.Errorf("%w: .p12 key of type %T cannot sign", ErrClientCert, key)
	}
	// The library takes the first certificate as the leaf; a bundle may list
	// its CA first, so the leaf is the certificate that matches the key.
	all := append([]*x509.Certificate{leaf}, chain...)
	idx := -1
	for i, c := range all {
		if pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(signer.Public()) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return tls.Certificate{}, fmt.Errorf("%w: the .p12 key does not match its certificate", ErrClientCert)
	}
	cert := tls.Certificate{PrivateKey: key, Leaf: all[idx], Certificate: [][]byte{all[idx].Raw}}
	for i, c := range all {
		if i != idx {
			cert.Certificate = append(cert.Certificate, c.Raw)
		}
	}
	return cert, nil
}

// SelfSignedClientCert makes a throwaway client certificate named cn: for
// a simulator reached over plain HTTP, where no TLS takes place but a
// client without a certificate refuses to send refunds.
func SelfSignedClientCert(cn string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
