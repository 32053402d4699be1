package checkout

import (
	"context"
	"sync"
	"time"

	"wxcheckout/models"
)

// When several instances share one PostgreSQL, any of them may record a
// payment while another holds the shopper's payment page. The database is
// the truth; a NOTIFY sent with each committed change wakes every instance
// at once, and a periodic check catches a notification that was missed (a
// lost LISTEN connection).
const (
	followCheck  = 2 * time.Second
	followMargin = 10 * time.Second // clock skew between instances, and commits that took long
	followBatch  = 1000
)

// FollowChanges keeps this instance's status view and its watchers right
// when other instances change orders, until ctx ends. It returns at once
// when the database is not shared.
func (s *Service) FollowChanges(ctx context.Context) {
	if !s.store.Shared() {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		s.store.ListenOrders(ctx, func(no string) {
			if o, err := s.store.OrderByOutTradeNo(ctx, no); err == nil {
				s.learn(o)
			}
		})
	})
	since := time.Now()
	t := time.NewTicker(followCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := time.Now()
		os, err := s.store.OrdersChangedSince(ctx, since.Add(-followMargin), followBatch)
		if err != nil {
			s.log.Warn("follow other instances: periodic check", "err", err)
			continue
		}
		for i := range os {
			s.learn(&os[i])
		}
		if len(os) == followBatch { // more than a batch changed: go on from the last one read
			next = os[len(os)-1].UpdatedAt.Add(followMargin)
		}
		since = next
	}
}

// learn takes in an order's status as committed somewhere, telling the
// view and the watchers only of what they do not know yet.
func (s *Service) learn(o *models.Order) {
	if st, _, ok := s.status.get(o.Token); ok && st.Status == o.Status {
		return
	}
	s.changed(o)
}
