package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wxcheckout/auth"
	"wxcheckout/internal/testrig"
	"wxcheckout/store"
)

func newManager(t *testing.T, st *store.Store, clock *testrig.Clock, password string) (*auth.Manager, auth.Startup) {
	t.Helper()
	m, s, err := auth.New(t.Context(), auth.Options{Store: st, Password: password, Now: clock.Now, Cost: bcrypt.MinCost, FailDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestGeneratedPasswordIsShownOnceAndStoredOnlyAsHash(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, first := newManager(t, st, clock, "")
	if len(first.Generated) < 20 || first.FromEnv {
		t.Fatalf("first start = %+v, want a generated password of at least 20 characters", first)
	}
	stored, err := st.Setting(t.Context(), "admin_password_bcrypt")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, first.Generated) || !strings.HasPrefix(stored, "$2") {
		t.Errorf("stored %q, want a bcrypt hash and not the password", stored)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(first.Generated)); err != nil {
		t.Errorf("stored hash does not match the generated password: %v", err)
	}
	if _, err := m.Login(t.Context(), first.Generated, "192.0.2.1"); err != nil {
		t.Errorf("login with the generated password: %v", err)
	}

	m2, second := newManager(t, st, clock, "")
	if second.Generated != "" || second.FromEnv {
		t.Errorf("second start = %+v, want nothing generated", second)
	}
	if _, err := m2.Login(t.Context(), first.Generated, "192.0.2.1"); err != nil {
		t.Errorf("after restart, login with the first password: %v", err)
	}
}

func TestEnvPasswordWinsAndStoresNothing(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, s := newManager(t, st, clock, "correct horse battery staple")
	if !s.FromEnv || s.Generated != "" {
		t.Fatalf("startup = %+v, want FromEnv", s)
	}
	if _, err := st.Setting(t.Context(), "admin_password_bcrypt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("setting = %v, want not found", err)
	}
	if _, err := m.Login(t.Context(), "correct horse battery stapl", "192.0.2.1"); !errors.Is(err, auth.ErrBadPassword) {
		t.Errorf("near miss: err = %v, want ErrBadPassword", err)
	}
	if _, err := m.Login(t.Context(), "correct horse battery staple", "192.0.2.1"); err != nil {
		t.Errorf("right password: %v", err)
	}
}

func TestFailedLoginsAreLimitedPerClient(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, _ := newManager(t, st, clock, "secret")
	for i := range 5 {
		if _, err := m.Login(t.Context(), "guess", "192.0.2.1"); !errors.Is(err, auth.ErrBadPassword) {
			t.Fatalf("attempt %d: err = %v, want ErrBadPassword", i+1, err)
		}
		clock.Advance(5 * time.Second)
	}
	if _, err := m.Login(t.Context(), "secret", "192.0.2.1"); !errors.Is(err, auth.ErrRateLimited) {
		t.Fatalf("6th attempt with the right password: err = %v, want ErrRateLimited", err)
	}
	if _, err := m.Login(t.Context(), "secret", "192.0.2.2"); err != nil {
		t.Errorf("another client: %v", err)
	}
	clock.Advance(40 * time.Second) // the first failure leaves the window
	if _, err := m.Login(t.Context(), "secret", "192.0.2.1"); err != nil {
		t.Errorf("after the window: %v", err)
	}
	for i := range 10 { // successes do not count against the limit
		if _, err := m.Login(t.Context(), "secret", "192.0.2.3"); err != nil {
			t.Fatalf("success %d: %v", i+1, err)
		}
	}
}

func TestConcurrentGuessesCannotOutrunTheLimit(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, _ := newManager(t, st, clock, "secret")
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = m.Login(context.Background(), "guess", "192.0.2.9") })
	}
	wg.Wait()
	checked := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, auth.ErrBadPassword):
			checked++
		case !errors.Is(err, auth.ErrRateLimited):
			t.Errorf("err = %v", err)
		}
	}
	if checked != 5 {
		t.Errorf("%d of %d concurrent guesses were checked, want 5", checked, n)
	}
}

func TestSessionLifetime(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, _ := newManager(t, st, clock, "secret")
	login := func() string {
		id, err := m.Login(t.Context(), "secret", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	valid := func(id string) bool {
		_, err := m.Session(t.Context(), id)
		if err != nil && !errors.Is(err, auth.ErrNoSession) {
			t.Fatal(err)
		}
		return err == nil
	}

	active := login()
	s, err := m.Session(t.Context(), active)
	if err != nil || !strings.HasPrefix(s.Actor, "admin:") || len(s.Actor) != 14 || len(s.CSRF) < 40 {
		t.Fatalf("session = %+v, %v; want an actor admin:<8 hex> and a CSRF token", s, err)
	}
	if strings.Contains(s.Actor, active[:8]) || s.CSRF == active {
		t.Errorf("actor or CSRF token reveal the session id")
	}
	for range 23 { // used every 30 minutes: alive until the absolute limit
		clock.Advance(30 * time.Minute)
		if !valid(active) {
			t.Fatalf("active session ended early at %v", clock.Now())
		}
	}
	clock.Advance(30 * time.Minute) // 12 h after login
	if valid(active) {
		t.Error("session outlived its 12 h lifetime")
	}

	idle := login()
	clock.Advance(59 * time.Minute)
	if !valid(idle) {
		t.Fatal("session ended before its idle timeout")
	}
	clock.Advance(61 * time.Minute)
	if valid(idle) {
		t.Error("idle session still valid after 61 minutes unused")
	}

	out := login()
	if err := m.Logout(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	if valid(out) {
		t.Error("session valid after logout")
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), out + "A"} {
		if valid(bad) {
			t.Errorf("made-up session id %q accepted", bad)
		}
	}
}

func TestOnlyTheSessionHashIsStored(t *testing.T) {
	st, clock := testrig.MustOpenStore(t), testrig.NewClock()
	m, _ := newManager(t, st, clock, "secret")
	id, err := m.Login(t.Context(), "secret", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AdminSession(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session found by its plain id (err %v): the id itself is stored", err)
	}
}

// Sessions belong to the password they were opened under: changing
// ADMIN_PASSWORD (or moving to or from a generated one) ends them, and a
// restart with the same password keeps them.
func TestPasswordChangeEndsSessions(t *testing.T) {
	const a, b = "password-number-one", "password-number-two"
	tests := []struct {
		name        string
		first, then string // "" is the generated password
		want        bool
	}{
		{"same password", a, a, true},
		{"new password", a, b, false},
		{"generated, then the same generated", "", "", true},
		{"generated, then ADMIN_PASSWORD", "", b, false},
		{"ADMIN_PASSWORD, then generated", a, "", false},
	}
	for _, tt := range tests {
		st, clock := testrig.MustOpenStore(t), testrig.NewClock()
		m, s := newManager(t, st, clock, tt.first)
		pw := tt.first
		if pw == "" {
			pw = s.Generated
		}
		id, err := m.Login(t.Context(), pw, "192.0.2.1")
		if err != nil {
			t.Fatalf("%s: login: %v", tt.name, err)
		}
		restarted, _ := newManager(t, st, clock, tt.then)
		_, err = restarted.Session(t.Context(), id)
		if err != nil && !errors.Is(err, auth.ErrNoSession) {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := err == nil; got != tt.want {
			t.Errorf("%s: session valid after the restart = %v, want %v", tt.name, got, tt.want)
		}
	}
}
