package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// TestRawPruneOnAnyDatabase: the pruner drops exactly the routine raw
// bodies older than the cut-off, keeps the evidence and everything newer,
// leaves a digest of what it dropped, and a second walk changes nothing.
// Instants are written and the cut-off given in Beijing time: the boundary
// must fall on the instant, not the wall clock.
func TestRawPruneOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrder(t, st, "RAW-1", "10.0.0.1")
	cutoff := anyDBNow.Add(-30 * 24 * time.Hour)
	old, fresh := cutoff.Add(-time.Second), cutoff.Add(time.Second)
	paid := "<xml><return_code><![CDATA[SUCCESS]]></return_code><trade_state><![CDATA[SUCCESS]]></trade_state></xml>"
	cases := []struct {
		kind       string
		at         time.Time
		req, resp  string
		wantPruned bool
	}{
		{models.EventUnifiedOrder, old, "<xml>uo</xml>", "<xml>prepay</xml>", true},
		{models.EventQuery, old, "<xml>q</xml>", "<xml><trade_state><![CDATA[NOTPAY]]></trade_state></xml>", true},
		{models.EventQuery, old, "<xml>q</xml>", paid, false}, // confirmed the payment
		{models.EventQuery, old, `{"out_trade_no":"RAW-1"}`, `{"trade_state":"SUCCESS"}`, false},
		{models.EventClose, old.Add(-48 * time.Hour), "<xml>close</xml>", "<xml>ok</xml>", true},
		{models.EventDelivery, old, "POST https://m.example/n\n\na=1", "success", true},
		{models.EventNotify, old, "<xml>notice</xml>", "<xml>SUCCESS</xml>", false},
		{models.EventNotifyV3, old, `{"trade_state":"SUCCESS"}`, `{"code":"SUCCESS"}`, false},
		{models.EventRefund, old, "<xml>refund</xml>", "<xml>ok</xml>", false},
		{models.EventUnifiedOrder, fresh, "<xml>uo2</xml>", "<xml>prepay2</xml>", false},
		{models.EventQuery, cutoff, "<xml>q</xml>", "<xml>NOTPAY</xml>", false}, // at the cut-off: not older
		{models.EventStatus, old, "", "", false},
	}
	var evs []*models.OrderEvent
	for i, c := range cases {
		ev := &models.OrderEvent{Kind: c.kind, OK: true, Summary: fmt.Sprint("case ", i), Request: c.req, Response: c.resp, CreatedAt: c.at}
		must(t, st.AddEvent(ctx, o, ev))
		evs = append(evs, ev)
	}
	total := 0
	for i := 0; ; i++ { // batches of 3: the cursor must carry the walk on
		seen, pruned, err := st.PruneRawBodies(ctx, cutoff, 3)
		must(t, err)
		total += pruned
		if seen < 3 {
			break
		}
		if i > 20 {
			t.Fatal("the walk does not end")
		}
	}
	if total != 4 {
		t.Errorf("pruned %d, want 4", total)
	}
	got, err := st.Events(ctx, o.ID)
	must(t, err)
	byID := map[uint]models.OrderEvent{}
	for _, e := range got {
		byID[e.ID] = e
	}
	for i, c := range cases {
		e := byID[evs[i].ID]
		if c.wantPruned {
			if e.Request != "" || e.Response != "" || e.RawDigest != models.RawDigestOf(c.req, c.resp) {
				t.Errorf("case %d (%s): request %q response %q digest %q, want pruned with %q", i, c.kind, e.Request, e.Response, e.RawDigest, models.RawDigestOf(c.req, c.resp))
			}
			continue
		}
		if e.Request != c.req || e.Response != c.resp || e.RawDigest != "" {
			t.Errorf("case %d (%s): request %q response %q digest %q, want kept", i, c.kind, e.Request, e.Response, e.RawDigest)
		}
	}
	// Idempotent: again, even from the start of the walk, nothing changes.
	seen, pruned, err := st.PruneRawBodies(ctx, cutoff, 100)
	must(t, err)
	if pruned != 0 {
		t.Errorf("second walk: pruned %d (seen %d), want 0", pruned, seen)
	}
	// A later cut-off reaches the entries that were fresh.
	_, pruned, err = st.PruneRawBodies(ctx, fresh.Add(time.Second), 100)
	must(t, err)
	if pruned != 2 {
		t.Errorf("later cut-off: pruned %d, want 2 (the fresh unifiedorder and the query at the old cut-off)", pruned)
	}
}
