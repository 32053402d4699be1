package wxpaysim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// LoadOrCreateV3Keys reads the §7 files from dir, first creating (with the
// directory) any that are missing. Existing files are never replaced: a
// certificate is made for an existing private key, a public key derived
// from its private half; a public file without its private half is an
// error, since nothing could sign for it. Private material is written with
// mode 0600.
func LoadOrCreateV3Keys(dir string) (*V3Keys, error) {
	if err := os.MkdirAll(dir, keysDirPermissions); err != nil {
		return nil, fmt.Errorf("v3 keys: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range v3Files {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("v3 keys: %w", err)
		default:
			files[f.name] = b
		}
	}
	created, err := completeV3Files(files, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("v3 keys in %s: %w", dir, err)
	}
	keys, err := UnmarshalV3Keys(files)
	if err != nil {
		return nil, fmt.Errorf("v3 keys in %s: %w", dir, err)
	}
	for _, f := range v3Files {
		if !created[f.name] {
			continue
		}
		mode := os.FileMode(publicFileMode)
		if f.private {
			mode = privateFileMode
		}
		if err := writeNewFile(filepath.Join(dir, f.name), files[f.name], mode); err != nil {
			return nil, fmt.Errorf("v3 keys: %w", err)
		}
	}
	return keys, nil
}

// writeNewFile creates path with b; an existing file (say, one written by
// another process meanwhile) is an error, never overwritten.
func writeNewFile(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// completeV3Files adds what files lacks and reports what it added.
func completeV3Files(files map[string][]byte, random io.Reader) (map[string]bool, error) {
	created := map[string]bool{}
	add := func(name string, b []byte) { files[name], created[name] = b, true }
	if _, ok := files[FileAPIv3Key]; !ok {
		s, err := randomFrom(random, apiv3KeyAlphabet, wxpayv3.KeyLen)
		if err != nil {
			return nil, err
		}
		add(FileAPIv3Key, []byte(s))
	}
	if _, ok := files[FilePubKeyID]; !ok {
		s, err := randomFrom(random, "0123456789", pubKeyIDDigits-2)
		if err != nil {
			return nil, err
		}
		add(FilePubKeyID, []byte("PUB_KEY_ID_01"+s))
	}
	pairs := []struct{ key, public, cn string }{
		{FileMchKey, FileMchCert, "wxpaysim merchant API certificate"},
		{FilePlatformKey, FilePlatformCert, "wxpaysim WeChat Pay platform certificate"},
		{FilePubKeyPrivate, FilePubKey, ""},
	}
	for _, p := range pairs {
		if err := completePair(files, add, random, p.key, p.public, p.cn); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// completePair makes a missing private key, then its missing public file:
// a certificate named cn, or (cn empty) a bare public key.
func completePair(files map[string][]byte, add func(string, []byte), random io.Reader, keyName, pubName, cn string) error {
	_, hasPub := files[pubName]
	if _, ok := files[keyName]; !ok {
		if hasPub {
			return fmt.Errorf("%s exists but %s does not: nothing could sign for it (remove %s to make a new pair)",
				pubName, keyName, pubName)
		}
		k, err := rsa.GenerateKey(random, v3KeyBits)
		if err != nil {
			return fmt.Errorf("generate %s: %w", keyName, err)
		}
		add(keyName, privatePEM(k))
	}
	if hasPub {
		return nil
	}
	key, err := parseKeyFile(files, keyName)
	if err != nil {
		return err
	}
	if cn == "" {
		add(pubName, publicPEM(&key.PublicKey))
		return nil
	}
	der, err := selfSigned(random, key, cn)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", pubName, err)
	}
	add(pubName, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return nil
}

// selfSigned makes a certificate with a random positive 20-byte serial
// whose hex has 40 digits, like the serials WeChat prints.
func selfSigned(random io.Reader, key *rsa.PrivateKey, cn string) ([]byte, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, err
	}
	b[0] = 0x10 + b[0]%0x70 // 0x10…0x7f: positive, and no leading zero digit
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(b),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"wxcheckout simulator"}, Country: []string{"CN"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	return x509.CreateCertificate(random, tmpl, tmpl, &key.PublicKey, key)
}

// randomFrom draws n characters of alphabet uniformly from random.
func randomFrom(random io.Reader, alphabet string, n int) (string, error) {
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		d, err := rand.Int(random, max)
		if err != nil {
			return "", err
		}
		out[i] = alphabet[d.Int64()]
	}
	return string(out), nil
}
