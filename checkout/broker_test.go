package checkout_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// A callback watcher hears every publish of its order until it cancels,
// while others subscribe, publish and cancel at the same time.
func TestBrokerSubscribeFuncConcurrent(t *testing.T) {
	b := checkout.NewBroker()
	var heard, other atomic.Int64
	cancel := b.SubscribeFunc("A", func(s models.OrderStatus) {
		if s == models.StatusPaid {
			heard.Add(1)
		}
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c := b.SubscribeFunc("B", func(models.OrderStatus) { other.Add(1) })
				b.Publish("A", models.StatusPaid)
				c()
			}
		})
	}
	wg.Wait()
	if heard.Load() != 800 {
		t.Errorf("watcher of A heard %d publishes, want 800", heard.Load())
	}
	if other.Load() != 0 || b.Watchers() != 1 {
		t.Errorf("watchers of B heard %d, %d watchers left; want 0 and 1", other.Load(), b.Watchers())
	}
	cancel()
	cancel() // twice is harmless
	b.Publish("A", models.StatusPaid)
	if heard.Load() != 800 || b.Watchers() != 0 {
		t.Errorf("after cancel: heard %d, %d watchers", heard.Load(), b.Watchers())
	}
}
