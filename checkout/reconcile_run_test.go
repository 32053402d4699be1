package checkout_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// countingWeChat counts orderquery calls per second of the test clock.
type countingWeChat struct {
	*wxpay.Client
	clock  *testrig.Clock
	mu     sync.Mutex
	perSec map[int64]int
	at     []time.Time
}

func (c *countingWeChat) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	now := c.clock.Now()
	c.mu.Lock()
	c.perSec[now.Unix()]++
	c.at = append(c.at, now)
	c.mu.Unlock()
	return c.Client.OrderQuery(ctx, no)
}

func (c *countingWeChat) calls() (n, busiest int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.perSec {
		n, busiest = n+k, max(busiest, k)
	}
	return n, busiest
}

// driven is a reconciler run on the test clock: every sleep (between rounds
// and for the rate ceiling) moves the clock to its end at once — never
// past the end of a sleep that is still running — and the run stops once
// the clock reaches until.
type driven struct {
	clock  *testrig.Clock
	mu     sync.Mutex
	sleeps []time.Duration
	cancel context.CancelFunc
	until  time.Time
}

func (d *driven) after(dur time.Duration) <-chan time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sleeps = append(d.sleeps, dur)
	if end := d.clock.Now().Add(dur); end.After(d.clock.Now()) {
		d.clock.Advance(end.Sub(d.clock.Now()))
	}
	if !d.clock.Now().Before(d.until) {
		d.cancel()
	}
	ch := make(chan time.Time, 1)
	ch <- d.clock.Now()
	return ch
}

func runDriven(svc *checkout.Service, clock *testrig.Clock, until time.Time, opt checkout.ReconcilerOptions) *driven {
	ctx, cancel := context.WithCancel(context.Background())
	d := &driven{clock: clock, cancel: cancel, until: until}
	opt.After = d.after
	svc.RunReconciler(ctx, opt)
	return d
}

func countingService(r *testrig.Rig, ttl time.Duration) (*checkout.Service, *countingWeChat) {
	wx := &countingWeChat{Client: r.WeChat, clock: r.Clock, perSec: map[int64]int{}}
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: wx, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: ttl, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1"}})
	return svc, wx
}

// With 2,000 orders due at once and a ceiling of 500 orderquery calls a
// second, a payment whose notification never came is found within the
// README's 30 s (the backlog takes 2,000 / 500 = 4 s of WeChat's budget;
// the test clock moves whenever the reconciler waits, so on a slow or
// loaded machine it runs ahead of the work), every due order is asked
// about, and no second of the test clock sees more calls than the ceiling
// (plus its 1/20 s burst).
func TestReconcilerWorksABacklogAtItsRateCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("places 2,000 orders")
	}
	r := testrig.New(t, testrig.Options{})
	svc, wx := countingService(r, 15*time.Minute)
	const n, perSecond = 2000, 500
	orders := make([]*models.Order, n)
	var wg sync.WaitGroup
	for w := range 16 { // placed concurrently: the writer commits them in groups
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				o, err := svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, ClientIP: "127.0.0.1"})
				if err != nil {
					t.Error(err)
					return
				}
				orders[i] = o
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	paid := orders[n*3/4]
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}))
	must(t, r.Sim.Pay(paid.CodeURL))
	r.Clock.Advance(10 * time.Second) // every order is due now
	due := r.Clock.Now()
	runDriven(svc, r.Clock, due.Add(30*time.Second), checkout.ReconcilerOptions{Rate: perSecond})

	if got := r.Order(t, paid.OutTradeNo); got.Status != models.StatusPaid {
		t.Errorf("order paid without a notification is %s after %v, want PAID", got.Status, r.Clock.Now().Sub(due))
	}
	calls, busiest := wx.calls()
	if calls < n {
		t.Errorf("%d orderquery calls, want every one of the %d due orders asked about", calls, n)
	}
	// The call is counted at the clock's time when it is made, which other
	// workers' waits may have moved on since the limiter let it through:
	// a second may show a few calls of its neighbour.
	if limit := perSecond + perSecond/20 + perSecond/20; busiest > limit {
		t.Errorf("%d orderquery calls in one second of the clock, want at most %d", busiest, limit)
	}
	t.Logf("%d calls in %v of the test clock, busiest second %d", calls, r.Clock.Now().Sub(due), busiest)
}

// Idle, the reconciler sleeps until the next order is due — a round a
// second at most — and wakes when it is due, not up to a tick later.
func TestReconcilerSleepsUntilSomethingIsDue(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	svc, wx := countingService(r, 15*time.Minute)
	start := r.Clock.Now()
	d := runDriven(svc, r.Clock, start.Add(5*time.Second), checkout.ReconcilerOptions{})
	if len(d.sleeps) > 6 {
		t.Errorf("%d rounds in 5 s with nothing to do, want one a second", len(d.sleeps))
	}
	for _, s := range d.sleeps {
		if s != time.Second {
			t.Errorf("slept %v with no order at all, want the 1 s tick", s)
		}
	}

	o, err := svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, ClientIP: "127.0.0.1"})
	must(t, err)
	r.Clock.Advance(1500 * time.Millisecond) // due 8.5 s from now
	d = runDriven(svc, r.Clock, o.NextQueryAt.Add(500*time.Millisecond), checkout.ReconcilerOptions{})
	if calls, _ := wx.calls(); calls != 1 || !wx.at[0].Equal(o.NextQueryAt) {
		t.Fatalf("orderquery calls at %v, want one at %v when the order became due", wx.at, o.NextQueryAt)
	}
	if len(d.sleeps) > 11 {
		t.Errorf("%d rounds in 9 s for one order, want about one a second", len(d.sleeps))
	}
}

// A query that changes nothing is a count on the order, not a timeline
// entry with its XML: 50 rounds on an unpaid order keep its first answer
// only; the payment the 51st finds is kept.
func TestUnchangedQueriesAreCountedNotKept(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	svc, _ := countingService(r, 2*time.Hour)
	o, err := svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, ClientIP: "127.0.0.1"})
	must(t, err)
	ctx := context.Background()
	queryEvents := func() int {
		got, err := svc.OrderByOutTradeNo(ctx, o.OutTradeNo)
		must(t, err)
		evs, err := svc.Events(ctx, got)
		must(t, err)
		n := 0
		for _, ev := range evs {
			if ev.Kind == models.EventQuery {
				n++
			}
		}
		return n
	}
	for range 50 {
		r.Clock.Advance(r.Order(t, o.OutTradeNo).NextQueryAt.Sub(r.Clock.Now()))
		svc.ReconcileOnce(ctx, 1, 10)
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Queries != 50 || got.LastQueryState != "NOTPAY" || got.LastQueryAt == nil || !got.LastQueryAt.Equal(r.Clock.Now()) {
		t.Errorf("after 50 rounds: queries %d, last %s at %v; want 50, NOTPAY at %v", got.Queries, got.LastQueryState, got.LastQueryAt, r.Clock.Now())
	}
	if n := queryEvents(); n > 2 {
		t.Errorf("50 unchanged queries kept %d orderquery entries, want the first only", n)
	}
	before := queryEvents()
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll}))
	must(t, r.Sim.Pay(o.CodeURL))
	r.Clock.Advance(30 * time.Second)
	svc.ReconcileOnce(ctx, 1, 10)
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusPaid || queryEvents() != before+1 {
		t.Errorf("the query that found the payment: order %s, %d query entries; want PAID and it kept", got.Status, queryEvents()-before)
	}
}
