package checkout

import (
	"context"
	"time"
)

// RawPruneOptions tune RunRawPruner; zero values pick the defaults.
type RawPruneOptions struct {
	// Retention is RAW_BODY_RETENTION; 0 keeps raw bodies forever and the
	// pruner returns at once.
	Retention time.Duration
	// Batch is how many timeline entries one write looks at (500): small,
	// so that a checkout never waits long behind the pruner on SQLite's one
	// writer.
	Batch int
	// Tick is the pause between walks once the walk has caught up (10 min).
	Tick time.Duration
	// Rest is how long the pruner rests after each batch, as a multiple of
	// the time the batch took (4: the pruner holds SQLite's one writer at
	// most a fifth of the time), so that catching up on a large database
	// after an upgrade never starves checkouts and notifications.
	Rest int
	// After is time.After; tests replace it.
	After func(time.Duration) <-chan time.Time
}

// RunRawPruner drops, in small batches, the raw bodies of routine calls
// older than the retention (store.PruneRawBodies), until ctx is done.
func (s *Service) RunRawPruner(ctx context.Context, opt RawPruneOptions) {
	if opt.Retention <= 0 {
		return
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if opt.Tick <= 0 {
		opt.Tick = 10 * time.Minute
	}
	if opt.After == nil {
		opt.After = time.After
	}
	if opt.Rest <= 0 {
		opt.Rest = 4
	}
	rest := func(took time.Duration) <-chan time.Time {
		return opt.After(max(took*time.Duration(opt.Rest), 10*time.Millisecond))
	}
	for {
		if _, err := s.pruneRaw(ctx, opt.Retention, opt.Batch, rest); err != nil && ctx.Err() == nil {
			s.log.Error("prune raw bodies", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-opt.After(opt.Tick):
		}
	}
}

// PruneRawOnce walks every entry older than the retention that the last
// walk has not seen, batch by batch without rest, and reports how many it
// pruned.
func (s *Service) PruneRawOnce(ctx context.Context, retention time.Duration, batch int) (int, error) {
	return s.pruneRaw(ctx, retention, batch, nil)
}

// pruneRaw is PruneRawOnce, waiting on rest (when not nil) after each full
// batch with the time the batch took.
func (s *Service) pruneRaw(ctx context.Context, retention time.Duration, batch int, rest func(took time.Duration) <-chan time.Time) (int, error) {
	cutoff := s.now().Add(-retention)
	total := 0
	for ctx.Err() == nil {
		start := time.Now()
		seen, pruned, err := s.store.PruneRawBodies(ctx, cutoff, batch)
		total += pruned
		if err != nil || seen < batch {
			return total, err
		}
		if rest != nil {
			select {
			case <-ctx.Done():
			case <-rest(time.Since(start)):
			}
		}
	}
	return total, ctx.Err()
}
