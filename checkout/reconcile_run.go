package checkout

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"wxcheckout/models"
)

// The reconciler is sized by demand: a round that finds a full batch of
// due orders is followed at once by a larger one with more workers, up to
// a ceiling; a round that finds less shrinks them back and then sleeps
// until the next order is due (never longer than Tick, so refunds and
// lost unifiedorder outcomes are still looked at every Tick). Idle, it
// costs one round of indexed reads per Tick. Its orderquery calls never
// exceed Rate per second, whatever the backlog.

// ReconcilerOptions tune the reconciler; zero values mean the defaults.
type ReconcilerOptions struct {
	Tick       time.Duration // longest sleep between rounds; default 1 s
	Workers    int           // concurrent WeChat calls of a quiet round; default 8
	MaxWorkers int           // concurrent WeChat calls of a busy round; default 64
	Batch      int           // orders per quiet round; default 200
	MaxBatch   int           // orders per busy round; default 2000
	// Rate is the ceiling on orderquery calls per second (WXPAY_QUERY_RATE);
	// default 500.
	Rate int
	// After, when set, replaces time.After — for the sleeps between rounds
	// and the rate ceiling's waits — so tests can drive time.
	After func(time.Duration) <-chan time.Time
}

// DefaultQueryRate is WXPAY_QUERY_RATE's default.
const DefaultQueryRate = 500

// minIdle is the shortest sleep after a round that was not full: an order
// due already (its schedule could not be written) is not retried hot.
const minIdle = 20 * time.Millisecond

func (o ReconcilerOptions) withDefaults() ReconcilerOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Workers, 8)
	def(&o.MaxWorkers, 64)
	def(&o.Batch, 200)
	def(&o.MaxBatch, 2000)
	def(&o.Rate, DefaultQueryRate)
	o.MaxWorkers, o.MaxBatch = max(o.MaxWorkers, o.Workers), max(o.MaxBatch, o.Batch)
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.After == nil {
		o.After = time.After
	}
	return o
}

// RunReconciler works until ctx ends and returns when every call it started
// has finished.
func (s *Service) RunReconciler(ctx context.Context, opt ReconcilerOptions) {
	opt = opt.withDefaults()
	p := newPacer(opt.Rate, s.now, opt.After)
	ctx = context.WithValue(ctx, paceKey{}, p)
	workers, batch := opt.Workers, opt.Batch
	for ctx.Err() == nil {
		if s.ReconcileOnce(ctx, workers, batch) >= batch {
			workers, batch = min(2*workers, opt.MaxWorkers), min(2*batch, opt.MaxBatch)
			continue // more are due: no sleep
		}
		workers, batch = max(workers/2, opt.Workers), max(batch/2, opt.Batch)
		select {
		case <-ctx.Done():
		case <-opt.After(s.idleFor(ctx, opt.Tick)):
		}
	}
}

// idleFor is how long to sleep when nothing more is due: until the next
// order's query time, at most tick.
func (s *Service) idleFor(ctx context.Context, tick time.Duration) time.Duration {
	next, ok, err := s.store.NextQueryAt(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reconcile: next query time", "err", err)
		}
		return tick
	}
	if !ok {
		return tick
	}
	return min(max(next.Sub(s.now()), minIdle), tick)
}

// ReconcileOnce handles up to batch orders that are due now: unifiedorder
// calls whose outcome was lost, and unpaid orders due for a query or past
// expiry, workers at a time; then the refunds that are due. It returns how
// many due unpaid orders it found: batch means more may be waiting.
func (s *Service) ReconcileOnce(ctx context.Context, workers, batch int) int {
	now := s.now()
	pending, err := s.store.PendingPrepays(ctx, now.Add(-prepayGrace), now, batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("reconcile: pending prepays", "err", err)
	}
	due, err := s.store.DueOrders(ctx, now, batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("reconcile: due orders", "err", err)
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	each := func(ctx context.Context, os []models.Order, f func(context.Context, *models.Order)) {
		for i := range os {
			if ctx.Err() != nil {
				return
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(o *models.Order) {
				defer func() { <-sem; wg.Done() }()
				f(ctx, o)
			}(&os[i])
		}
	}
	each(ctx, pending, s.recoverPrepay)
	wg.Wait()
	round := &roundWrites{s: s}
	each(context.WithValue(ctx, roundKey{}, round), due, s.reconcile)
	wg.Wait()
	round.flush(ctx)
	s.reconcileRefunds(ctx, batch)
	return len(due)
}

// pacer holds the reconciler's orderquery calls to its rate: a token
// bucket that refills Rate tokens a second and holds a twentieth of a
// second's worth, read on the service's clock.
type pacer struct {
	lim   *rate.Limiter
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

type paceKey struct{}

func newPacer(perSecond int, now func() time.Time, after func(time.Duration) <-chan time.Time) *pacer {
	return &pacer{lim: rate.NewLimiter(rate.Limit(perSecond), max(1, perSecond/20)), now: now, after: after}
}

var errPaced = errors.New("reconciler stopped while waiting for its rate ceiling")

// pace waits until the reconciler may make one more orderquery call; a
// no-op outside the reconciler (an admin's query is never held).
func pace(ctx context.Context) error {
	p, ok := ctx.Value(paceKey{}).(*pacer)
	if !ok {
		return nil
	}
	now := p.now()
	r := p.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		r.CancelAt(p.now())
		return errPaced
	case <-p.after(d):
		return nil
	}
}
