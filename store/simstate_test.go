package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/store"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// The store satisfies the simulator's interface without either importing
// the other's types.
var _ wxpaysim.StateStore = (*store.Store)(nil)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Saves of one order may arrive out of order; the newest version stays.
func TestSimOrdersKeepTheNewestVersion(t *testing.T) {
	tests := []struct {
		name  string
		saves []int64 // versions, saved in this order; the state is the version's text
		want  string
	}{
		{"in order", []int64{1, 2, 3}, `"v3"`},
		{"late old save", []int64{1, 3, 2}, `"v3"`},
		{"same version twice", []int64{2, 2}, `"v2"`},
		{"only old after new", []int64{5, 1}, `"v5"`},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "s.db"))
			defer s.Close()
			for _, v := range tt.saves {
				if err := s.SaveSimOrder(ctx, "SIMST-0001", v, fmt.Appendf(nil, `"v%d"`, v)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.LoadSimOrders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || string(got[0]) != tt.want {
				t.Errorf("states = %q, want [%s]", got, tt.want)
			}
		})
	}
}

func TestDeleteSimOrders(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer s.Close()
	for i, no := range []string{"DEL-0001", "DEL-0002", "DEL-0003"} {
		must(t, s.SaveSimOrder(ctx, no, int64(i+1), []byte(`"`+no+`"`)))
	}
	must(t, s.DeleteSimOrders(ctx, []string{"DEL-0001", "DEL-0003", "DEL-NONE"}))
	got, err := s.LoadSimOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]byte{[]byte(`"DEL-0002"`)}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after delete: %q, want %q", got, want)
	}
}

// The built-in simulator on the app's database: restarted on the same
// database, it still knows its orders, their instants kept in UTC.
func TestSimulatorRestartsOnTheDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	beijing := time.FixedZone("CST", 8*3600)
	now := func() time.Time { return time.Now().In(beijing) }

	s := openStore(t, path)
	sim, err := wxpaysim.Open(ctx, wxpaysim.Options{State: s, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	c := testrig.DemoClient(t, ts.URL)
	resp, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "test", OutTradeNo: "DBSIM-0001", TotalFee: 1,
		SpbillCreateIP: "127.0.0.1", NotifyURL: "http://127.0.0.1:1/n", ProductID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close()
	ts.Close()
	must(t, s.Close())

	s = openStore(t, path)
	defer s.Close()
	states, err := s.LoadSimOrders(ctx)
	if err != nil || len(states) != 1 {
		t.Fatalf("states = %q, %v", states, err)
	}
	var saved struct{ Created time.Time }
	if err := json.Unmarshal(states[0], &saved); err != nil || saved.Created.Location() != time.UTC {
		t.Errorf("created saved as %v (%v), want UTC", saved.Created, err)
	}
	sim, err = wxpaysim.Open(ctx, wxpaysim.Options{State: s, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ts = httptest.NewServer(sim)
	defer ts.Close()
	c = testrig.DemoClient(t, ts.URL)
	if q, err := c.OrderQuery(ctx, "DBSIM-0001"); err != nil || q.TradeState != wxpay.TradeNotPay {
		t.Fatalf("orderquery after restart = %v, %v; want NOTPAY", q, err)
	}
	must(t, sim.Pay(resp.CodeURL))
	if q, err := c.OrderQuery(ctx, "DBSIM-0001"); err != nil || !q.Paid() {
		t.Errorf("orderquery after paying = %v, %v; want SUCCESS", q, err)
	}
}
