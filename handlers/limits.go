package handlers

import "sync"

const (
	// A shopper has a tab or two open; a page polling without push falls
	// back to the status endpoint, so a refusal costs nothing but push.
	defaultStreamsPerClient = 32
	// Checkouts wait on WeChat (up to two calls with timeouts); a client
	// holding more than this many at once is a script, not a shopper.
	defaultCheckoutsPerClient = 4
)

// clientLimiter counts concurrent uses per client IP.
type clientLimiter struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func newClientLimiter(max int) *clientLimiter {
	return &clientLimiter{max: max, n: make(map[string]int)}
}

// acquire takes a slot for ip; the caller must release it when it succeeds.
func (l *clientLimiter) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max < 0 || l.n[ip] >= l.max {
		return false
	}
	l.n[ip]++
	return true
}

func (l *clientLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[ip]--; l.n[ip] <= 0 {
		delete(l.n, ip)
	}
}
