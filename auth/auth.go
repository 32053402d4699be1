// Package auth signs the shop admin in: one password (from ADMIN_PASSWORD,
// or generated on first start and kept only as a bcrypt hash), server-side
// sessions of which only a hash is stored, and a per-client limit on failed
// logins. Time and randomness are injected so tests control them.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"time"

	"wxcheckout/models"
)

// Errors of Login and Session.
var (
	ErrBadPassword = errors.New("wrong password")
	ErrRateLimited = errors.New("too many failed logins")
	ErrNoSession   = errors.New("no valid session")
)

// Store is what auth keeps in the database; *store.Store has it.
type Store interface {
	Setting(ctx context.Context, key string) (string, error)
	CreateSetting(ctx context.Context, key, value string) (bool, error)
	CreateAdminSession(ctx context.Context, a *models.AdminSession) error
	AdminSession(ctx context.Context, idHash string) (*models.AdminSession, error)
	TouchAdminSession(ctx context.Context, idHash string, at time.Time) error
	DeleteAdminSession(ctx context.Context, idHash string) error
	DeleteAdminSessionsBefore(ctx context.Context, expiredBy, idleSince time.Time) error
}

// Options configure a Manager; zero values take the defaults below.
type Options struct {
	Store Store
	// Password is ADMIN_PASSWORD; when empty the stored generated one is used,
	// or one is generated and its hash stored.
	Password string
	Now      func() time.Time
	Rand     io.Reader
	Log      *slog.Logger

	Lifetime    time.Duration // absolute session lifetime; default 12h
	IdleTimeout time.Duration // session ends after this long unused; default 1h
	MaxFailures int           // failed logins allowed per client per Window; default 5
	Window      time.Duration // default 1 minute
	// FailDelay is added to every failed login on top of bcrypt's own cost,
	// so guessing is slow even below the limit; default 1s, tests use 0 via -1.
	FailDelay time.Duration
	// Cost is the bcrypt cost; default bcrypt.DefaultCost. Tests lower it.
	// It also sets the work of deriving the session key from ADMIN_PASSWORD.
	Cost int
}

// Manager checks the password and keeps sessions.
type Manager struct {
	opt        Options
	hash       []byte // bcrypt hash of the password
	sessionKey []byte // derived from the password in effect; see sessionHash
	limiter    *Limiter
}

// Startup says how the password was set up, for the start-up log.
type Startup struct {
	// Generated is the new password, set only on the start that created it:
	// it is shown once and never again.
	Generated string
	// FromEnv is true when ADMIN_PASSWORD is used.
	FromEnv bool
}

// New sets up the password and returns the manager.
func New(ctx context.Context, opt Options) (*Manager, Startup, error) {
	opt = withDefaults(opt)
	m := &Manager{opt: opt, limiter: NewLimiter(opt.MaxFailures, opt.Window, opt.Now)}
	st, err := m.setupPassword(ctx)
	if err != nil {
		return nil, Startup{}, err
	}
	return m, st, nil
}

func withDefaults(o Options) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Lifetime == 0 {
		o.Lifetime = 12 * time.Hour
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = time.Hour
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 5
	}
	if o.Window == 0 {
		o.Window = time.Minute
	}
	if o.FailDelay == 0 {
		o.FailDelay = time.Second
	}
	if o.FailDelay < 0 {
		o.FailDelay = 0
	}
	return o
}
