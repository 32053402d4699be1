package auth

import (
	"sync"
	"time"
)

// maxClients bounds the limiter's memory under a spray of client addresses.
const maxClients = 10000

// Limiter counts login attempts per client in a sliding window. An attempt
// is counted before the password is checked and forgiven when it succeeds,
// so that many concurrent guesses cannot all slip in before the first one
// is recorded as failed.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	attempts map[string][]time.Time
}

// NewLimiter allows max failed attempts per client in any window.
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	return &Limiter{max: max, window: window, now: now, attempts: make(map[string][]time.Time)}
}

// Reserve counts an attempt by client, or reports false and how long until
// it may try again when it is over the limit.
func (l *Limiter) Reserve(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.recent(client, now)
	if len(recent) >= l.max {
		return false, recent[0].Add(l.window).Sub(now)
	}
	if len(l.attempts) >= maxClients {
		l.prune(now)
	}
	l.attempts[client] = append(recent, now)
	return true, 0
}

// Forgive takes back client's latest attempt: it succeeded.
func (l *Limiter) Forgive(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fs := l.attempts[client]; len(fs) > 0 {
		l.attempts[client] = fs[:len(fs)-1]
	}
}

func (l *Limiter) prune(now time.Time) {
	for c := range l.attempts {
		l.recent(c, now)
	}
}

// recent drops client's attempts older than the window; l.mu is held.
func (l *Limiter) recent(client string, now time.Time) []time.Time {
	fs := l.attempts[client]
	i := 0
	for i < len(fs) && !fs[i].After(now.Add(-l.window)) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.attempts, client)
		return nil
	}
	l.attempts[client] = fs
	return fs
}
