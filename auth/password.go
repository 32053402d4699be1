package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wxcheckout/store"
)

// passwordKey names the setting holding the generated password's hash.
const passwordKey = "admin_password_bcrypt"

// setupPassword hashes ADMIN_PASSWORD, or loads the stored hash, or makes a
// new password and stores only its hash.
func (m *Manager) setupPassword(ctx context.Context) (Startup, error) {
	if m.opt.Password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(m.opt.Password), m.cost())
		if err != nil {
			return Startup{}, fmt.Errorf("ADMIN_PASSWORD: %w", err) // over bcrypt's 72 bytes
		}
		m.hash = h
		if m.sessionKey, err = m.keyOfPassword(m.opt.Password); err != nil {
			return Startup{}, err
		}
		return Startup{FromEnv: true}, nil
	}
	stored, err := m.opt.Store.Setting(ctx, passwordKey)
	switch {
	case err == nil:
		m.hash, m.sessionKey = []byte(stored), keyOfHash(stored)
		return Startup{}, nil
	case !errors.Is(err, store.ErrNotFound):
		return Startup{}, fmt.Errorf("load admin password: %w", err)
	}
	pw, err := newPassword(m.opt.Rand)
	if err != nil {
		return Startup{}, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), m.cost())
	if err != nil {
		return Startup{}, err
	}
	created, err := m.opt.Store.CreateSetting(ctx, passwordKey, string(h))
	if err != nil {
		return Startup{}, fmt.Errorf("store admin password: %w", err)
	}
	if !created { // another process stored its own first: use that one
		return m.setupPassword(ctx)
	}
	m.hash, m.sessionKey = h, keyOfHash(string(h))
	return Startup{Generated: pw}, nil
}

// sessionKeyLabel separates the session key from any other use of the
// same password or hash.
const sessionKeyLabel = "wxcheckout admin session key"

// keyOfPassword derives the session key from ADMIN_PASSWORD. Its bcrypt
// hash is salted afresh on every start, so the key comes from the password
// itself, slowly (2^cost × 100 rounds of PBKDF2): the database keeps HMACs
// under this key, and they must not make guessing the password cheap.
func (m *Manager) keyOfPassword(pw string) ([]byte, error) {
	k, err := pbkdf2.Key(sha256.New, pw, []byte(sessionKeyLabel), 100<<m.cost(), 32)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_PASSWORD: derive session key: %w", err)
	}
	return k, nil
}

// keyOfHash derives the session key from the stored hash of a generated
// password, which is the same on every start until the password changes.
func keyOfHash(hash string) []byte {
	mac := hmac.New(sha256.New, []byte(hash))
	mac.Write([]byte(sessionKeyLabel))
	return mac.Sum(nil)
}

func (m *Manager) cost() int {
	if m.opt.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return m.opt.Cost
}

// newPassword is 144 random bits, in four groups so it can be copied by hand.
func newPassword(r io.Reader) (string, error) {
	b := make([]byte, 18)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("generate admin password: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(b) // 24 characters
	return strings.Join([]string{s[0:6], s[6:12], s[12:18], s[18:24]}, "-"), nil
}

// checkPassword compares in constant time (bcrypt), and slows down every
// failure so that guessing stays slow even under the per-client limit.
func (m *Manager) checkPassword(ctx context.Context, pw string) error {
	if bcrypt.CompareHashAndPassword(m.hash, []byte(pw)) == nil {
		return nil
	}
	if m.opt.FailDelay > 0 {
		t := time.NewTimer(m.opt.FailDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return ErrBadPassword
}
