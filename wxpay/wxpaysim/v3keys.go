package wxpaysim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// The files of `wxcheckout sim --keys DIR` (SPEC §7), also the names of
// MarshalPEM's map. A merchant program is configured with the first five;
// the simulator signs with the last two.
const (
	FileMchKey        = "apiclient_key.pem"   // merchant API private key (PKCS#8)
	FileMchCert       = "apiclient_cert.pem"  // merchant API certificate; its serial is the merchant serial
	FilePubKey        = "pub_key.pem"         // WeChat Pay public key
	FilePubKeyID      = "pub_key_id.txt"      // its ID, PUB_KEY_ID_…
	FilePlatformCert  = "platform_cert.pem"   // a platform certificate
	FileAPIv3Key      = "apiv3_key.txt"       // the 32-character APIv3 key
	FilePubKeyPrivate = "pub_key_private.pem" // the WeChat Pay public key's private half
	FilePlatformKey   = "platform_key.pem"    // the platform certificate's private key
)

const (
	v3KeyBits          = 2048
	certValidity       = 5 * 365 * 24 * time.Hour
	privateFileMode    = 0o600
	publicFileMode     = 0o644
	pubKeyIDDigits     = 28 // PUB_KEY_ID_ + 28 digits, as WeChat's IDs are
	apiv3KeyAlphabet   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	keysDirPermissions = 0o700
)

// v3Files lists every file, and whether it holds private material.
var v3Files = []struct {
	name    string
	private bool
}{
	{FileMchKey, true}, {FileMchCert, false}, {FilePubKey, false}, {FilePubKeyID, false},
	{FilePlatformCert, false}, {FileAPIv3Key, true}, {FilePubKeyPrivate, true}, {FilePlatformKey, true},
}

// V3Keys are the keys of a simulated v3 merchant and of the simulated
// WeChat Pay: the merchant's API key and certificate (the simulator
// verifies requests with it), the WeChat Pay public key's private half and
// its ID, a platform certificate and its key (the simulator signs with
// these), and the APIv3 key (it encrypts notification resources).
type V3Keys struct {
	MchKey           *rsa.PrivateKey
	MchCert          *x509.Certificate
	PublicKeyID      string
	PublicKeyPrivate *rsa.PrivateKey // the private half of pub_key.pem
	PlatformKey      *rsa.PrivateKey
	PlatformCert     *x509.Certificate
	APIv3Key         string // 32 characters, used as bytes
}

// MchSerial is the merchant certificate's serial, hex as WeChat prints it.
func (k *V3Keys) MchSerial() string { return wxpayv3.SerialHex(k.MchCert.SerialNumber) }

// PlatformSerial is the platform certificate's serial, hex.
func (k *V3Keys) PlatformSerial() string { return wxpayv3.SerialHex(k.PlatformCert.SerialNumber) }

// PublicKey is the WeChat Pay public key (pub_key.pem).
func (k *V3Keys) PublicKey() *rsa.PublicKey { return &k.PublicKeyPrivate.PublicKey }

// GenerateV3Keys makes a fresh set: three 2048-bit RSA keys, two
// self-signed certificates with random 20-byte serials, a public key ID and
// an APIv3 key, all from random.
func GenerateV3Keys(random io.Reader) (*V3Keys, error) {
	files := map[string][]byte{}
	if _, err := completeV3Files(files, random); err != nil {
		return nil, err
	}
	return UnmarshalV3Keys(files)
}

// MarshalPEM returns every file of the set by name (the names of
// LoadOrCreateV3Keys' files), for an app to keep them in its database.
func (k *V3Keys) MarshalPEM() map[string][]byte {
	return map[string][]byte{
		FileMchKey:        privatePEM(k.MchKey),
		FileMchCert:       certPEM(k.MchCert),
		FilePubKey:        publicPEM(k.PublicKey()),
		FilePubKeyID:      []byte(k.PublicKeyID),
		FilePlatformCert:  certPEM(k.PlatformCert),
		FileAPIv3Key:      []byte(k.APIv3Key),
		FilePubKeyPrivate: privatePEM(k.PublicKeyPrivate),
		FilePlatformKey:   privatePEM(k.PlatformKey),
	}
}

// UnmarshalV3Keys reads a set from MarshalPEM's map (or the files' contents
// by name). Every file must be there, pub_key.pem excepted (it is derived),
// and each certificate and public key must match its private key.
func UnmarshalV3Keys(files map[string][]byte) (*V3Keys, error) {
	for _, f := range v3Files {
		if _, ok := files[f.name]; !ok && f.name != FilePubKey {
			return nil, fmt.Errorf("%s is missing", f.name)
		}
	}
	k := &V3Keys{
		PublicKeyID: strings.TrimSpace(string(files[FilePubKeyID])),
		APIv3Key:    strings.TrimSpace(string(files[FileAPIv3Key])),
	}
	var err error
	if k.MchKey, err = parseKeyFile(files, FileMchKey); err != nil {
		return nil, err
	}
	if k.PublicKeyPrivate, err = parseKeyFile(files, FilePubKeyPrivate); err != nil {
		return nil, err
	}
	if k.PlatformKey, err = parseKeyFile(files, FilePlatformKey); err != nil {
		return nil, err
	}
	if k.MchCert, err = parseCertFile(files, FileMchCert, k.MchKey); err != nil {
		return nil, err
	}
	if k.PlatformCert, err = parseCertFile(files, FilePlatformCert, k.PlatformKey); err != nil {
		return nil, err
	}
	if b, ok := files[FilePubKey]; ok {
		pub, err := wxpayv3.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FilePubKey, err)
		}
		if !pub.Equal(k.PublicKey()) {
			return nil, fmt.Errorf("%s is not the public half of %s", FilePubKey, FilePubKeyPrivate)
		}
	}
	switch {
	case !strings.HasPrefix(k.PublicKeyID, "PUB_KEY_ID_"):
		return nil, fmt.Errorf("%s: %q does not start with PUB_KEY_ID_", FilePubKeyID, k.PublicKeyID)
	case len(k.APIv3Key) != wxpayv3.KeyLen:
		return nil, fmt.Errorf("%s: the APIv3 key must be %d bytes, got %d", FileAPIv3Key, wxpayv3.KeyLen, len(k.APIv3Key))
	}
	return k, nil
}

func parseKeyFile(files map[string][]byte, name string) (*rsa.PrivateKey, error) {
	k, err := wxpayv3.ParsePrivateKey(files[name])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

func parseCertFile(files map[string][]byte, name string, key *rsa.PrivateKey) (*x509.Certificate, error) {
	certs, err := wxpayv3.ParseCertificates(files[name])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if pub, _ := certs[0].PublicKey.(*rsa.PublicKey); !key.PublicKey.Equal(pub) {
		return nil, fmt.Errorf("%s is not the certificate of its private key", name)
	}
	return certs[0], nil
}

func privatePEM(k *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func publicPEM(k *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
