package checkout_test

import (
	"context"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// TestRawPrunerDropsOnlyOldRoutineBodies: the service's pruner walks in
// batches to the retention's cut-off; RAW_BODY_RETENTION=0 never prunes.
func TestRawPrunerDropsOnlyOldRoutineBodies(t *testing.T) {
	r := testrig.New(t, testrig.Options{RealClock: true})
	ctx := context.Background()
	o := r.PlaceOrder(t, "COFFEE", 1) // a fresh unifiedorder with its XML
	for i := range 5 {
		must(t, r.Store.AddEvent(ctx, o, &models.OrderEvent{Kind: models.EventQuery, OK: true, Actor: "reconciler",
			Request: "<xml>q</xml>", Response: "<xml>NOTPAY</xml>", CreatedAt: time.Now().Add(-time.Duration(800+i) * time.Hour)}))
	}
	stop, cancel := context.WithCancel(ctx)
	cancel()
	r.Svc.RunRawPruner(stop, checkout.RawPruneOptions{}) // retention 0: returns at once
	n, err := r.Svc.PruneRawOnce(ctx, 720*time.Hour, 2)
	must(t, err)
	if n != 5 {
		t.Errorf("pruned %d, want the 5 old queries", n)
	}
	evs, err := r.Svc.Events(ctx, o)
	must(t, err)
	for _, e := range evs {
		old := e.Kind == models.EventQuery
		if old != (e.RawDigest != "") || (old && e.Request+e.Response != "") {
			t.Errorf("%s at %s: request %q digest %q", e.Kind, e.CreatedAt, e.Request, e.RawDigest)
		}
		if e.Kind == models.EventUnifiedOrder && e.Request == "" {
			t.Error("the fresh unifiedorder lost its request")
		}
	}
}

// TestRawPrunerRestsBetweenBatches: catching up on a large database, the
// running pruner rests after each full batch (four times what the batch
// took, at least 10 ms), so that it holds the one writer a fifth of the
// time at most; it then waits its tick.
func TestRawPrunerRestsBetweenBatches(t *testing.T) {
	r := testrig.New(t, testrig.Options{RealClock: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := r.PlaceOrder(t, "COFFEE", 1)
	for i := range 7 {
		must(t, r.Store.AddEvent(ctx, o, &models.OrderEvent{Kind: models.EventQuery, OK: true, Actor: "reconciler",
			Request: "<xml>q</xml>", Response: "<xml>NOTPAY</xml>", CreatedAt: time.Now().Add(-time.Duration(800+i) * time.Hour)}))
	}
	const tick = time.Hour
	var rests []time.Duration
	done := make(chan struct{})
	after := func(d time.Duration) <-chan time.Time {
		if d == tick { // the walk caught up
			cancel()
			return nil
		}
		rests = append(rests, d)
		c := make(chan time.Time, 1)
		c <- time.Now()
		return c
	}
	go func() {
		defer close(done)
		r.Svc.RunRawPruner(ctx, checkout.RawPruneOptions{Retention: 720 * time.Hour, Batch: 2, Tick: tick, After: after})
	}()
	<-done
	// 7 old entries (and the fresh ones) in batches of 2: at least 3 full batches, each followed by a rest.
	if len(rests) < 3 {
		t.Fatalf("rested %d times between batches, want at least 3", len(rests))
	}
	for _, d := range rests {
		if d < 10*time.Millisecond {
			t.Errorf("rested %s after a batch, want at least 10ms", d)
		}
	}
	evs, err := r.Svc.Events(context.Background(), o)
	must(t, err)
	pruned := 0
	for _, e := range evs {
		if e.RawDigest != "" {
			pruned++
		}
	}
	if pruned != 7 {
		t.Errorf("pruned %d entries, want the 7 old queries", pruned)
	}
}
