package checkout

import (
	"context"
	"time"

	"wxcheckout/metrics"
)

// MetricsState is what GET /metrics reads from the database at scrape
// time (metrics.WatchState): orders by status, merchant notifications by
// state, and the reconciler's backlog and lag at the service's clock.
func (s *Service) MetricsState(ctx context.Context) (metrics.State, error) {
	now := s.now()
	g, err := s.store.Gauges(ctx, now)
	if err != nil {
		return metrics.State{}, err
	}
	st := metrics.State{Orders: map[string]int64{}, Deliveries: map[string]int64{}, Backlog: g.Backlog}
	for k, n := range g.Orders {
		st.Orders[string(k)] = n
	}
	for k, n := range g.Deliveries {
		st.Deliveries[string(k)] = n
	}
	if !g.OldestDue.IsZero() && g.OldestDue.Before(now) {
		st.Lag = now.Sub(g.OldestDue)
	}
	return st, nil
}

// WatchMetrics adds the service's gauges to m: the database's (cached for
// ttl; 0 means the default, negative none) and the open status streams of
// this process.
func (s *Service) WatchMetrics(m *metrics.Metrics, ttl time.Duration) {
	if m == nil {
		return
	}
	m.WatchState(s.MetricsState, s.broker.Watchers, ttl)
}
