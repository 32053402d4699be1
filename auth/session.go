package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
)

// Session is a signed-in admin as the web side sees it.
type Session struct {
	// Actor names the admin in the order timeline: "admin:" and the first
	// 8 hex digits of the session id's hash, which reveal nothing usable.
	Actor string
	// CSRF is the token every admin form must carry; it is derived from the
	// session id, which a cross-site page cannot read (HttpOnly cookie).
	CSRF string
}

// touchEvery limits writes: activity is recorded at most once a minute.
const touchEvery = time.Minute

// Login checks the password for a client and opens a session, returning
// the id for the cookie. A client over the failure limit is refused before
// the password is looked at, even the right one.
func (m *Manager) Login(ctx context.Context, password, client string) (string, error) {
	if ok, _ := m.limiter.Reserve(client); !ok {
		m.opt.Log.Warn("admin login refused: too many failures", "client", client)
		return "", ErrRateLimited
	}
	if err := m.checkPassword(ctx, password); err != nil {
		m.opt.Log.Warn("admin login failed", "client", client)
		return "", err
	}
	m.limiter.Forgive(client)
	id, err := newSessionID(m.opt.Rand)
	if err != nil {
		return "", err
	}
	now := m.opt.Now().UTC()
	if err := m.opt.Store.DeleteAdminSessionsBefore(ctx, now, now.Add(-m.opt.IdleTimeout)); err != nil {
		m.opt.Log.Error("clean admin sessions", "err", err)
	}
	err = m.opt.Store.CreateAdminSession(ctx, &models.AdminSession{IDHash: m.sessionHash(id), ClientIP: client,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.opt.Lifetime)})
	if err != nil {
		return "", err
	}
	m.opt.Log.Info("admin signed in", "actor", actorOf(id), "client", client)
	return id, nil
}

// RetryAfter is how long a client refused with ErrRateLimited should wait.
func (m *Manager) RetryAfter() time.Duration { return m.opt.Window }

// Session returns the session behind a cookie value, or ErrNoSession when
// it is unknown, expired or idle too long.
func (m *Manager) Session(ctx context.Context, id string) (*Session, error) {
	if len(id) != sessionIDLen {
		return nil, ErrNoSession
	}
	h := m.sessionHash(id)
	a, err := m.opt.Store.AdminSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	} else if err != nil {
		return nil, err
	}
	now := m.opt.Now()
	if !now.Before(a.ExpiresAt) || now.Sub(a.LastSeenAt) >= m.opt.IdleTimeout {
		if err := m.opt.Store.DeleteAdminSession(ctx, h); err != nil {
			return nil, err
		}
		return nil, ErrNoSession
	}
	if now.Sub(a.LastSeenAt) >= touchEvery {
		if err := m.opt.Store.TouchAdminSession(ctx, h, now); err != nil {
			return nil, err
		}
	}
	return &Session{Actor: actorOf(id), CSRF: csrfOf(id)}, nil
}

// Logout ends the session behind a cookie value.
func (m *Manager) Logout(ctx context.Context, id string) error {
	if len(id) != sessionIDLen {
		return nil
	}
	return m.opt.Store.DeleteAdminSession(ctx, m.sessionHash(id))
}

// sessionIDLen is 32 random bytes in unpadded base64url.
const sessionIDLen = 43

func newSessionID(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("new session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sessionHash is what the database keeps of a session id: an HMAC keyed
// with the password in effect, so that a session opened under another
// password is never found. Changing ADMIN_PASSWORD thus signs everyone out,
// on every instance, with nothing to clean up.
func (m *Manager) sessionHash(id string) string {
	mac := hmac.New(sha256.New, m.sessionKey)
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func actorOf(id string) string { return "admin:" + hashID(id)[:8] }

func csrfOf(id string) string {
	mac := hmac.New(sha256.New, []byte(id))
	mac.Write([]byte("wxcheckout admin csrf"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
