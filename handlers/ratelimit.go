package handlers

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxRateClients bounds a rate table's memory under a spray of addresses.
// Past it the least recently seen client is forgotten, which at worst
// gives that client a fresh bucket early.
const maxRateClients = 65536

// clientRates is a token bucket per client key.
//
// A bucket left alone long enough to fill up again is no different from a
// new one, so it is dropped: memory follows the clients seen within one
// refill time, and never passes maxRateClients.
type clientRates struct {
	mu     sync.Mutex
	limit  rate.Limit
	burst  int
	refill time.Duration // an empty bucket is full again after this long
	now    func() time.Time
	max    int
	byKey  map[string]*list.Element
	lru    *list.List // of *rateEntry, most recently seen first
}

type rateEntry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// newClientRates allows perMinute events a minute per client, at most
// burst at once.
func newClientRates(perMinute, burst int, now func() time.Time) *clientRates {
	burst = max(1, min(burst, perMinute))
	return &clientRates{limit: rate.Limit(float64(perMinute) / 60), burst: burst,
		refill: time.Duration(burst) * time.Minute / time.Duration(perMinute), now: now, max: maxRateClients,
		byKey: make(map[string]*list.Element), lru: list.New()}
}

// allow takes a token of key's bucket, or reports false when it is empty.
func (r *clientRates) allow(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	return r.entry(key, now).lim.AllowN(now, 1)
}

// exhausted reports whether key's bucket is empty, without taking a token.
func (r *clientRates) exhausted(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.byKey[key]
	return ok && el.Value.(*rateEntry).lim.TokensAt(r.now()) < 1
}

// entry finds or makes key's bucket and marks it seen; r.mu is held.
func (r *clientRates) entry(key string, now time.Time) *rateEntry {
	r.forget(now)
	if el, ok := r.byKey[key]; ok {
		e := el.Value.(*rateEntry)
		e.seen = now
		r.lru.MoveToFront(el)
		return e
	}
	if r.lru.Len() >= r.max {
		r.remove(r.lru.Back())
	}
	e := &rateEntry{key: key, lim: rate.NewLimiter(r.limit, r.burst), seen: now}
	r.byKey[key] = r.lru.PushFront(e)
	return e
}

// forget drops the buckets that have filled up again since last seen.
func (r *clientRates) forget(now time.Time) {
	for el := r.lru.Back(); el != nil && now.Sub(el.Value.(*rateEntry).seen) >= r.refill; el = r.lru.Back() {
		r.remove(el)
	}
}

func (r *clientRates) remove(el *list.Element) {
	delete(r.byKey, el.Value.(*rateEntry).key)
	r.lru.Remove(el)
}

func (r *clientRates) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}
