package wxpayv3

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
)

// AlgorithmGCM is the one resource algorithm WeChat uses.
const AlgorithmGCM = "AEAD_AES_256_GCM"

// KeyLen is the APIv3 key's length in bytes.
const KeyLen = 32

// Resource is a notification's encrypted part.
type Resource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"` // base64 of ciphertext and 16-byte tag
	Nonce          string `json:"nonce"`      // 12 characters, used as bytes
	AssociatedData string `json:"associated_data"`
	OriginalType   string `json:"original_type"`
}

func newGCM(apiv3Key []byte) (cipher.AEAD, error) {
	if len(apiv3Key) != KeyLen {
		return nil, fmt.Errorf("%w: the APIv3 key must be %d bytes, got %d", ErrBadKey, KeyLen, len(apiv3Key))
	}
	block, err := aes.NewCipher(apiv3Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return cipher.NewGCMWithNonceSize(block, 12)
}

// Decrypt opens a resource with the APIv3 key: AES-256-GCM, the nonce's
// and associated data's bytes as given.
func Decrypt(apiv3Key []byte, r Resource) ([]byte, error) {
	if r.Algorithm != AlgorithmGCM {
		return nil, fmt.Errorf("%w: algorithm %q", ErrMalformed, clip(r.Algorithm))
	}
	if len(r.Nonce) != 12 {
		return nil, fmt.Errorf("%w: nonce of %d bytes, want 12", ErrMalformed, len(r.Nonce))
	}
	ct, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: ciphertext is not base64", ErrMalformed)
	}
	gcm, err := newGCM(apiv3Key)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, []byte(r.Nonce), ct, []byte(r.AssociatedData))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// Encrypt seals plaintext as WeChat does (the simulator's side); nonce must
// be 12 bytes.
func Encrypt(apiv3Key []byte, nonce, associatedData string, plaintext []byte, originalType string) (Resource, error) {
	if len(nonce) != 12 {
		return Resource{}, fmt.Errorf("%w: nonce of %d bytes, want 12", ErrMalformed, len(nonce))
	}
	gcm, err := newGCM(apiv3Key)
	if err != nil {
		return Resource{}, err
	}
	ct := gcm.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return Resource{Algorithm: AlgorithmGCM, Ciphertext: base64.StdEncoding.EncodeToString(ct), Nonce: nonce,
		AssociatedData: associatedData, OriginalType: originalType}, nil
}
