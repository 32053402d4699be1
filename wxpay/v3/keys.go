package wxpayv3

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
)

// ParsePrivateKey reads an RSA private key from PEM: PKCS#8 ("PRIVATE
// KEY", as apiclient_key.pem comes) or PKCS#1 ("RSA PRIVATE KEY").
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadKey)
	}
	switch b.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, not an RSA private key", ErrBadKey, k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrBadKey, b.Type)
}

// ParsePublicKey reads an RSA public key from PEM ("PUBLIC KEY", PKIX, as
// WeChat Pay's pub_key.pem comes; or "RSA PUBLIC KEY", PKCS#1).
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadKey)
	}
	switch b.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, not an RSA public key", ErrBadKey, k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q is not a public key", ErrBadKey, b.Type)
}

// ParseCertificates reads every certificate in PEM data (a platform
// certificate file may hold several); each must carry an RSA key.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("%w: certificate %s has a %T key, not RSA", ErrBadKey, SerialHex(c.SerialNumber), c.PublicKey)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrBadKey)
	}
	return out, nil
}

// SerialHex writes a certificate serial as WeChat and openssl print it:
// upper-case hex, no separators.
func SerialHex(n *big.Int) string { return strings.ToUpper(n.Text(16)) }

// NormalizeSerial is a serial or public key ID as compared: serials are
// hex, compared case-insensitively; a public key ID is kept as written.
func NormalizeSerial(s string) string {
	if strings.HasPrefix(s, "PUB_KEY_ID_") {
		return s
	}
	return strings.ToUpper(s)
}
