package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// State is what the database says at scrape time: the same whichever
// instance is scraped, so these are right with several instances.
type State struct {
	Orders map[string]int64 // orders by status
	// Deliveries are merchant notifications by state: pending (to be
	// sent), queued (behind an earlier one of their order), failed (given
	// up on; an admin may resend).
	Deliveries map[string]int64
	Backlog    int64         // unpaid orders whose next query is due
	Lag        time.Duration // now − the oldest due next query; 0 when none is due
}

// StateFunc reads the State; it is called at most once per cache period.
type StateFunc func(ctx context.Context) (State, error)

// DefaultStateTTL is how long a State read serves scrapes: a scrape storm
// costs one read per period.
const DefaultStateTTL = 5 * time.Second

// stateTimeout bounds one read, so a slow database cannot hold scrapes.
const stateTimeout = 5 * time.Second

// WatchState adds the gauges read by read (cached for ttl of real time; 0
// means DefaultStateTTL, a negative ttl reads at every scrape) and the
// open status streams counted by streams (read at each scrape: the
// process's own).
func (m *Metrics) WatchState(read StateFunc, streams func() int, ttl time.Duration) {
	if ttl == 0 {
		ttl = DefaultStateTTL
	}
	m.reg.MustRegister(&stateCollector{read: read, ttl: ttl, now: time.Now})
	if streams != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "status_streams_open",
			Help: "Open status streams (payment pages waiting for a payment) on this process."},
			func() float64 { return float64(streams()) }))
	}
}

var (
	descOrders = prometheus.NewDesc(Namespace+"_orders", "Orders by status (from the database: the same on every instance).",
		[]string{"status"}, nil)
	descDeliveries = prometheus.NewDesc(Namespace+"_merchant_notifications", "Merchant notifications by state (pending, queued, failed), from the database.",
		[]string{"state"}, nil)
	descBacklog = prometheus.NewDesc(Namespace+"_reconciler_backlog", "Unpaid orders whose next query is due, from the database.", nil, nil)
	descLag     = prometheus.NewDesc(Namespace+"_reconciler_lag_seconds", "How long the oldest due query of an unpaid order is overdue; 0 when none is.", nil, nil)
	descUp      = prometheus.NewDesc(Namespace+"_state_up", "1 when the database gauges could be read at this scrape, else 0.", nil, nil)
)

// stateCollector reads the State at scrape time, at most once per ttl;
// concurrent scrapes wait for the one read in flight.
type stateCollector struct {
	read StateFunc
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	at    time.Time
	state State
	err   error
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOrders, descDeliveries, descBacklog, descLag, descUp} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.get()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for status, n := range st.Orders {
		ch <- prometheus.MustNewConstMetric(descOrders, prometheus.GaugeValue, float64(n), status)
	}
	for state, n := range st.Deliveries {
		ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(st.Backlog))
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, st.Lag.Seconds())
}

func (c *stateCollector) get() (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if age := now.Sub(c.at); !c.at.IsZero() && age < c.ttl && age >= 0 {
		return c.state, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	c.state, c.err = c.read(ctx)
	c.at = now
	return c.state, c.err
}
