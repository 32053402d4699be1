package wxpaysim_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// A full simulator makes room by evicting its oldest finished orders, and
// refuses a new order with SYSTEMERROR when every order is still payable.
func TestMaxOrdersEvictsOldestFinished(t *testing.T) {
	r := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), MinCloseAge: -1, MaxOrders: 3})
	c := r.client(t)
	ctx := context.Background()
	steps := []struct {
		do      string // "place", "close", "pay" or "wait2h" (every order's code_url expires)
		no      string
		wantErr string // err_code of a refused unifiedorder
		want    []string
	}{
		{"place", "CAP-00A", "", []string{"CAP-00A"}},
		{"place", "CAP-00B", "", []string{"CAP-00A", "CAP-00B"}},
		{"place", "CAP-00C", "", []string{"CAP-00A", "CAP-00B", "CAP-00C"}},
		{"close", "CAP-00B", "", []string{"CAP-00A", "CAP-00B", "CAP-00C"}},
		{"pay", "CAP-00C", "", []string{"CAP-00A", "CAP-00B", "CAP-00C"}},
		{"place", "CAP-00D", "", []string{"CAP-00A", "CAP-00C", "CAP-00D"}}, // closed B is the oldest finished
		{"place", "CAP-00A", "", []string{"CAP-00A", "CAP-00C", "CAP-00D"}}, // a re-entry needs no room
		{"place", "CAP-00E", "", []string{"CAP-00A", "CAP-00D", "CAP-00E"}}, // then paid C
		{"place", "CAP-00F", wxpay.CodeSystemError, []string{"CAP-00A", "CAP-00D", "CAP-00E"}},
		{"wait2h", "", "", []string{"CAP-00A", "CAP-00D", "CAP-00E"}},
		{"place", "CAP-00F", "", []string{"CAP-00D", "CAP-00E", "CAP-00F"}}, // expired A is the oldest
	}
	for i, st := range steps {
		var err error
		switch st.do {
		case "place":
			_, err = c.UnifiedOrder(ctx, orderReq(st.no, "http://127.0.0.1:1/n"))
		case "close":
			_, err = c.CloseOrder(ctx, st.no)
		case "pay":
			err = r.sim.PayOutTradeNo(st.no)
		case "wait2h":
			r.clock.Advance(2 * time.Hour)
		}
		switch {
		case st.wantErr != "":
			wantErrCode(t, err, st.wantErr, "")
		case err != nil:
			t.Fatalf("step %d: %s %s: %v", i, st.do, st.no, err)
		}
		var got []string
		for _, o := range r.sim.Orders() {
			got = append(got, o.OutTradeNo)
		}
		if !slices.Equal(got, st.want) {
			t.Fatalf("step %d (%s %s): orders %v, want %v", i, st.do, st.no, got, st.want)
		}
	}
	if _, err := c.OrderQuery(ctx, "CAP-00B"); err == nil {
		t.Error("orderquery of an evicted order succeeded")
	} else {
		wantErrCode(t, err, wxpay.CodeOrderNotExist, "")
	}
}

// /deliveries keeps only the newest MaxDeliveries attempts, oldest first.
func TestMaxDeliveriesKeepsTheNewest(t *testing.T) {
	r := newRig(t, wxpaysim.Options{MaxDeliveries: 3})
	c := r.client(t)
	m := newMerchant(t, nil)
	var nos []string
	for i := range 5 {
		no := fmt.Sprintf("RING-%04d", i)
		nos = append(nos, no)
		code := place(t, c, orderReq(no, m.url()))
		if err := r.sim.Pay(code); err != nil {
			t.Fatal(err)
		}
		eventually(t, no+" delivered", func() bool { o, _ := r.sim.Order(no); return o.Delivered })
	}
	var got []string
	for _, d := range r.sim.Deliveries() {
		got = append(got, d.OutTradeNo)
	}
	if want := nos[2:]; !slices.Equal(got, want) {
		t.Errorf("deliveries of %v, want the newest %v", got, want)
	}
}

// No more than MaxConcurrentDeliveries notifications are in flight at once,
// however many payments are waiting to be notified.
func TestMaxConcurrentDeliveries(t *testing.T) {
	const limit, payments = 2, 6
	r := newRig(t, wxpaysim.Options{MaxConcurrentDeliveries: limit})
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	m := newMerchant(t, func([]byte) (int, []byte) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
		return http.StatusOK, wxpay.SuccessReply
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the merchant closes, or its blocked handlers would hold it open
	c := r.client(t)
	for i := range payments {
		code := place(t, c, orderReq(fmt.Sprintf("CONC-%04d", i), m.url()))
		if err := r.sim.Pay(code); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the first notifications", func() bool { mu.Lock(); defer mu.Unlock(); return inFlight >= limit })
	// Time for any POST beyond the limit to arrive; correctness does not
	// depend on it, only how surely a missing limit is caught.
	time.Sleep(200 * time.Millisecond)
	free()
	eventually(t, "every notification", func() bool { return len(m.received()) >= payments })
	mu.Lock()
	defer mu.Unlock()
	if most > limit {
		t.Errorf("%d notifications in flight at once, want ≤ %d", most, limit)
	}
}
