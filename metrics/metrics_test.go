package metrics_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"wxcheckout/metrics"
)

// A scrape storm within the cache period reads the database once, however
// many scrapes run at once; a failed read shows as state_up 0.
func TestStateIsReadOncePerPeriod(t *testing.T) {
	m := metrics.New()
	var reads atomic.Int32
	fail := atomic.Bool{}
	m.WatchState(func(context.Context) (metrics.State, error) {
		reads.Add(1)
		if fail.Load() {
			return metrics.State{}, errors.New("database gone")
		}
		return metrics.State{Orders: map[string]int64{"PAID": 3}, Deliveries: map[string]int64{"failed": 2},
			Backlog: 5, Lag: 90 * time.Second}, nil
	}, func() int { return 7 }, time.Hour)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := m.Registry().Gather(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("16 concurrent scrapes read the state %d times, want 1", n)
	}
	n, err := testutil.GatherAndCount(m.Registry(), "wxcheckout_orders", "wxcheckout_merchant_notifications",
		"wxcheckout_reconciler_backlog", "wxcheckout_reconciler_lag_seconds", "wxcheckout_status_streams_open")
	if err != nil || n != 5 {
		t.Errorf("%d series, %v; want 5", n, err)
	}

	m2 := metrics.New()
	fail.Store(true)
	m2.WatchState(func(ctx context.Context) (metrics.State, error) { return metrics.State{}, errors.New("database gone") }, nil, -1)
	fams, err := m2.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		switch f.GetName() {
		case "wxcheckout_state_up":
			if v := f.Metric[0].Gauge.GetValue(); v != 0 {
				t.Errorf("state_up %v after a failed read, want 0", v)
			}
		case "wxcheckout_orders", "wxcheckout_reconciler_backlog":
			t.Errorf("%s shown after a failed read", f.GetName())
		}
	}
}

// A nil *Metrics counts nothing and does not panic; label values from a
// reply are kept short and plain.
func TestHooks(t *testing.T) {
	var none *metrics.Metrics
	none.Paid(100)
	none.Notification("v2", metrics.Processed, "")
	none.WeChatCall("orderquery", "SUCCESS", time.Millisecond)

	m := metrics.New()
	m.WeChatCall("orderquery", "ORDER NOT\nEXIST<script>", time.Millisecond)
	m.WeChatCall("orderquery", "SYSTEMERROR", time.Millisecond)
	n, err := testutil.GatherAndCount(m.Registry(), "wxcheckout_wechat_calls_total")
	if err != nil || n != 2 {
		t.Fatalf("%d series, %v; want 2", n, err)
	}
	fams, _ := m.Registry().Gather()
	for _, f := range fams {
		if f.GetName() != "wxcheckout_wechat_calls_total" {
			continue
		}
		for _, s := range f.Metric {
			for _, l := range s.Label {
				if l.GetName() == "result" && l.GetValue() != "OTHER" && l.GetValue() != "SYSTEMERROR" {
					t.Errorf("result label %q", l.GetValue())
				}
			}
		}
	}
}
