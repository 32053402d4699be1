package wxpayv3

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The RSA vector was made with openssl, not with this package:
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem
//	openssl pkey -in key.pem -pubout -out pub.pem
//	openssl dgst -sha256 -sign key.pem message.txt | base64 -w0 > message.sig
//
// RSA PKCS#1 v1.5 signatures are deterministic, so ours must equal it.
func TestSignatureVector(t *testing.T) {
	key := mustRead(t, "testdata/key.pem")
	pubPEM := mustRead(t, "testdata/pub.pem")
	msg := string(mustRead(t, "testdata/message.txt"))
	want := strings.TrimSpace(string(mustRead(t, "testdata/message.sig")))
	priv, err := ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sign(priv, msg)
	if err != nil || got != want {
		t.Fatalf("Sign = %s, %v; openssl says %s", got, err, want)
	}
	if err := Verify(pub, msg, want); err != nil {
		t.Fatalf("Verify(openssl's signature): %v", err)
	}
	if err := Verify(pub, msg+"x", want); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify(another message) = %v", err)
	}
	// The message is timestamp\nnonce\nbody\n: a reply signed as WeChat signs.
	parts := strings.SplitN(msg, "\n", 3)
	h := http.Header{}
	h.Set(HeaderSerial, "PUB_KEY_ID_0114232134912410000000000000")
	h.Set(HeaderTimestamp, parts[0])
	h.Set(HeaderNonce, parts[1])
	h.Set(HeaderSignature, want)
	body := []byte(strings.TrimSuffix(parts[2], "\n"))
	v := NewVerifier()
	v.Add("PUB_KEY_ID_0114232134912410000000000000", pub)
	at := time.Unix(1700000000, 0)
	if err := v.Verify(h, body, at.Add(4*time.Minute)); err != nil {
		t.Fatalf("Verifier: %v", err)
	}
	if err := v.Verify(h, body, at.Add(6*time.Minute)); !errors.Is(err, ErrStaleTimestamp) {
		t.Fatalf("6 minutes later: %v", err)
	}
	h.Set(HeaderSerial, "PUB_KEY_ID_OTHER")
	if err := v.Verify(h, body, at); !errors.Is(err, ErrUnknownSerial) {
		t.Fatalf("unknown serial: %v", err)
	}
}

// The GCM vector was made with Python's cryptography (AESGCM), not with
// this package.
func TestDecryptVector(t *testing.T) {
	var v struct {
		Key, Nonce, Plaintext, Ciphertext string
		AssociatedData                    string `json:"associated_data"`
	}
	if err := json.Unmarshal(mustRead(t, "testdata/gcm.json"), &v); err != nil {
		t.Fatal(err)
	}
	r := Resource{Algorithm: AlgorithmGCM, Ciphertext: v.Ciphertext, Nonce: v.Nonce, AssociatedData: v.AssociatedData}
	pt, err := Decrypt([]byte(v.Key), r)
	if err != nil || string(pt) != v.Plaintext {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	enc, err := Encrypt([]byte(v.Key), v.Nonce, v.AssociatedData, []byte(v.Plaintext), "transaction")
	if err != nil || enc.Ciphertext != v.Ciphertext {
		t.Fatalf("Encrypt = %q, %v", enc.Ciphertext, err)
	}
	for name, bad := range map[string]Resource{
		"another associated data": {Algorithm: AlgorithmGCM, Ciphertext: v.Ciphertext, Nonce: v.Nonce, AssociatedData: "refund"},
		"another nonce":           {Algorithm: AlgorithmGCM, Ciphertext: v.Ciphertext, Nonce: "000000000000", AssociatedData: v.AssociatedData},
	} {
		if _, err := Decrypt([]byte(v.Key), bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Decrypt([]byte(strings.Repeat("x", 32)), r); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another key: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
