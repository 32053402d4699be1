package wxpaysim_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

var allFiles = []string{
	wxpaysim.FileMchKey, wxpaysim.FileMchCert, wxpaysim.FilePubKey, wxpaysim.FilePubKeyID,
	wxpaysim.FilePlatformCert, wxpaysim.FileAPIv3Key, wxpaysim.FilePubKeyPrivate, wxpaysim.FilePlatformKey,
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range allFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

func TestLoadOrCreateV3Keys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := wxpaysim.LoadOrCreateV3Keys(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := readAll(t, dir)
	private := map[string]bool{wxpaysim.FileMchKey: true, wxpaysim.FileAPIv3Key: true,
		wxpaysim.FilePubKeyPrivate: true, wxpaysim.FilePlatformKey: true}
	for _, name := range allFiles {
		fi, _ := os.Stat(filepath.Join(dir, name))
		if private[name] && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(k.MchSerial()) || !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(k.PlatformSerial()) {
		t.Errorf("serials %s, %s: want 40 hex digits", k.MchSerial(), k.PlatformSerial())
	}
	if !regexp.MustCompile(`^PUB_KEY_ID_01\d{26}$`).MatchString(k.PublicKeyID) || len(k.APIv3Key) != 32 {
		t.Errorf("public key ID %q, APIv3 key of %d bytes", k.PublicKeyID, len(k.APIv3Key))
	}
	// What a merchant program reads from the files works with the simulator's keys.
	certs, err := wxpayv3.ParseCertificates(files[wxpaysim.FileMchCert])
	if err != nil || wxpayv3.SerialHex(certs[0].SerialNumber) != k.MchSerial() {
		t.Errorf("apiclient_cert.pem: %v", err)
	}
	if pub, err := wxpayv3.ParsePublicKey(files[wxpaysim.FilePubKey]); err != nil || !pub.Equal(k.PublicKey()) {
		t.Errorf("pub_key.pem: %v", err)
	}

	// Loaded again: the same keys, no file touched.
	again, err := wxpaysim.LoadOrCreateV3Keys(dir)
	if err != nil || again.MchSerial() != k.MchSerial() || again.PublicKeyID != k.PublicKeyID || again.APIv3Key != k.APIv3Key {
		t.Fatalf("reload: %v", err)
	}
	assertFiles(t, dir, files, nil)

	// Missing public halves are made for the existing private keys.
	for _, name := range []string{wxpaysim.FileMchCert, wxpaysim.FilePubKey} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	third, err := wxpaysim.LoadOrCreateV3Keys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !third.MchKey.Equal(k.MchKey) || third.MchSerial() == k.MchSerial() {
		t.Error("a new certificate should carry the existing key under a new serial")
	}
	assertFiles(t, dir, files, map[string]bool{wxpaysim.FileMchCert: true})

	// A public key without its private half cannot be completed.
	if err := os.Remove(filepath.Join(dir, wxpaysim.FilePubKeyPrivate)); err != nil {
		t.Fatal(err)
	}
	if _, err := wxpaysim.LoadOrCreateV3Keys(dir); err == nil || !strings.Contains(err.Error(), wxpaysim.FilePubKeyPrivate) {
		t.Errorf("pub_key.pem without pub_key_private.pem: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, wxpaysim.FilePubKeyPrivate)); err == nil {
		t.Error("a private key was made for an existing public key")
	}
}

// assertFiles checks that every file of dir still holds what want says,
// except those in changed, which must differ.
func assertFiles(t *testing.T, dir string, want map[string][]byte, changed map[string]bool) {
	t.Helper()
	got := readAll(t, dir)
	for name, b := range want {
		if same := bytes.Equal(got[name], b); same == changed[name] {
			t.Errorf("%s: unchanged = %v, want %v", name, same, !changed[name])
		}
	}
}

func TestLoadOrCreateV3KeysRefusesBadFiles(t *testing.T) {
	k := testKeys(t)
	for name, c := range map[string]struct{ file, content, want string }{
		"short APIv3 key":       {wxpaysim.FileAPIv3Key, "tooshort", "32 bytes"},
		"not a key":             {wxpaysim.FileMchKey, "hello", wxpaysim.FileMchKey},
		"another key's cert":    {wxpaysim.FileMchCert, string(k.MarshalPEM()[wxpaysim.FilePlatformCert]), wxpaysim.FileMchCert},
		"public key mismatched": {wxpaysim.FilePubKey, string(k.MarshalPEM()[wxpaysim.FilePubKey]), wxpaysim.FilePubKey},
		"not a public key ID":   {wxpaysim.FilePubKeyID, "12345", wxpaysim.FilePubKeyID},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := k.MarshalPEM()
			files[c.file] = []byte(c.content)
			if c.file == wxpaysim.FilePubKey { // the shared key's public half with another private half
				files[wxpaysim.FilePubKeyPrivate] = files[wxpaysim.FileMchKey]
			}
			for n, b := range files {
				if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := readAll(t, dir)
			_, err := wxpaysim.LoadOrCreateV3Keys(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %q", err, c.want)
			}
			assertFiles(t, dir, before, nil)
		})
	}
}

func TestV3KeysMarshalRoundTrip(t *testing.T) {
	k := testKeys(t)
	files := k.MarshalPEM()
	if len(files) != len(allFiles) {
		t.Fatalf("MarshalPEM has %d files, want %d", len(files), len(allFiles))
	}
	back, err := wxpaysim.UnmarshalV3Keys(files)
	if err != nil {
		t.Fatal(err)
	}
	if !back.MchKey.Equal(k.MchKey) || !back.PlatformKey.Equal(k.PlatformKey) || !back.PublicKeyPrivate.Equal(k.PublicKeyPrivate) ||
		back.MchSerial() != k.MchSerial() || back.PlatformSerial() != k.PlatformSerial() ||
		back.PublicKeyID != k.PublicKeyID || back.APIv3Key != k.APIv3Key {
		t.Error("UnmarshalV3Keys(MarshalPEM()) is another set")
	}
	for name, b := range back.MarshalPEM() {
		if !bytes.Equal(b, files[name]) {
			t.Errorf("%s differs after a round trip", name)
		}
	}
	delete(files, wxpaysim.FilePlatformKey)
	if _, err := wxpaysim.UnmarshalV3Keys(files); err == nil {
		t.Error("a set without platform_key.pem was accepted")
	}
	// Files written by LoadOrCreateV3Keys are read back as the same set.
	dir := t.TempDir()
	for n, b := range k.MarshalPEM() {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := wxpaysim.LoadOrCreateV3Keys(dir)
	if err != nil || loaded.MchSerial() != k.MchSerial() || loaded.PublicKeyID != k.PublicKeyID {
		t.Errorf("LoadOrCreateV3Keys of MarshalPEM's files: %v", err)
	}
}
