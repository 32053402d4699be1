package checkout

import (
	"sync"

	"wxcheckout/models"
)

// Broker fans order status changes out to whoever watches an order (payment
// pages waiting for their QR to be paid). It never blocks a publisher: each
// subscriber has a one-slot channel holding the latest status.
type Broker struct {
	mu    sync.Mutex
	subs  map[string]map[chan models.OrderStatus]struct{}
	funcs map[string]map[*func(models.OrderStatus)]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[string]map[chan models.OrderStatus]struct{}),
		funcs: make(map[string]map[*func(models.OrderStatus)]struct{})}
}

// Subscribe watches the order with out_trade_no no until cancel is called.
func (b *Broker) Subscribe(no string) (<-chan models.OrderStatus, func()) {
	ch := make(chan models.OrderStatus, 1)
	b.mu.Lock()
	if b.subs[no] == nil {
		b.subs[no] = make(map[chan models.OrderStatus]struct{})
	}
	b.subs[no][ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[no], ch)
			if len(b.subs[no]) == 0 {
				delete(b.subs, no)
			}
			b.mu.Unlock()
		})
	}
}

// SubscribeFunc calls fn with each new status of the order until cancel is
// called: a watcher without a goroutine of its own (an open payment page
// whose connection the handlers hold). fn runs in the publisher's
// goroutine with the broker locked, so it must return at once and must
// not call the broker.
func (b *Broker) SubscribeFunc(no string, fn func(models.OrderStatus)) (cancel func()) {
	p := &fn
	b.mu.Lock()
	if b.funcs[no] == nil {
		b.funcs[no] = make(map[*func(models.OrderStatus)]struct{})
	}
	b.funcs[no][p] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.funcs[no], p)
			if len(b.funcs[no]) == 0 {
				delete(b.funcs, no)
			}
			b.mu.Unlock()
		})
	}
}

// Publish tells every watcher of the order its new status.
func (b *Broker) Publish(no string, s models.OrderStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for fn := range b.funcs[no] {
		(*fn)(s)
	}
	for ch := range b.subs[no] {
		select {
		case <-ch: // drop the stale status; only the latest matters
		default:
		}
		ch <- s
	}
}

// Watchers is the number of open subscriptions, for tests and metrics.
func (b *Broker) Watchers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	for _, m := range b.funcs {
		n += len(m)
	}
	return n
}
