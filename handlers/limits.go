package handlers

import (
	"sync"
	"time"
)

const (
	// A shopper has a tab or two open; a page polling without push falls
	// back to the status endpoint, so a refusal costs nothing but push.
	defaultStreamsPerClient = 32
	// Each open stream holds a goroutine, a connection and a watcher; past
	// this many the pages poll instead, which costs a read a second each.
	defaultStreams = 10000
	// A stream ends after this long even if the order can still be paid
	// (ORDER_TTL may be up to 2 h); the page reconnects at once, so a
	// stream that a client keeps open forever is counted afresh.
	defaultStreamDuration = 30 * time.Minute
	// Checkouts wait on WeChat (up to two calls with timeouts); a client
	// holding more than this many at once is a script, not a shopper.
	defaultCheckoutsPerClient = 4
	// Checkouts and renews a client may start per minute, and how many
	// at once: a shopper clicking through a few products is never refused,
	// a script gets one order every 3 s at most.
	defaultCheckoutRate  = 20
	checkoutBurst        = 5
	notifyRefusalsPerMin = 30 // refused notifications a client may send a minute
)

// clientLimiter counts concurrent uses per client key, and all together
// when total is set.
type clientLimiter struct {
	mu       sync.Mutex
	max      int
	maxTotal int // 0: no cap on the total
	total    int
	n        map[string]int
}

func newClientLimiter(max, maxTotal int) *clientLimiter {
	return &clientLimiter{max: max, maxTotal: maxTotal, n: make(map[string]int)}
}

// acquire takes a slot for key; the caller must release it when it succeeds.
func (l *clientLimiter) acquire(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max < 0 || l.n[key] >= l.max || (l.maxTotal > 0 && l.total >= l.maxTotal) {
		return false
	}
	l.n[key]++
	l.total++
	return true
}

func (l *clientLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.n[key]--; l.n[key] <= 0 {
		delete(l.n, key)
	}
}
