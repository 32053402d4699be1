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
