package wxpaysim_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// fileState opens the state file at path, as a restarted process would.
func fileState(tb testing.TB, path string) wxpaysim.StateStore {
	tb.Helper()
	st, err := wxpaysim.OpenFileState(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// A simulator restarted on the same state file answers for every order as
// before: open ones stay payable, closed and paid ones keep their state.
func TestRestartKeepsOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	ctx := context.Background()
	m := newMerchant(t, nil)
	first := newRig(t, wxpaysim.Options{MinCloseAge: -1, State: fileState(t, path)})
	c := first.client(t)
	code := place(t, c, orderReq("KEEP-OPEN", m.url()))
	place(t, c, orderReq("KEEP-CLOSED", m.url()))
	if _, err := c.CloseOrder(ctx, "KEEP-CLOSED"); err != nil {
		t.Fatal(err)
	}
	paidCode := place(t, c, orderReq("KEEP-PAID", m.url()))
	if err := first.sim.Pay(paidCode); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the paid order's notification", func() bool { o, _ := first.sim.Order("KEEP-PAID"); return o.Delivered })
	paid, _ := first.sim.Order("KEEP-PAID")
	first.sim.Close()

	second := newRig(t, wxpaysim.Options{MinCloseAge: -1, State: fileState(t, path)})
	c = second.client(t)
	for no, want := range map[string]string{"KEEP-OPEN": wxpay.TradeNotPay, "KEEP-CLOSED": wxpay.TradeClosed, "KEEP-PAID": wxpay.TradeSuccess} {
		q, err := c.OrderQuery(ctx, no)
		if err != nil || q.TradeState != want {
			t.Errorf("after restart, orderquery %s = %v %v, want %s", no, q, err, want)
		}
	}
	if o, _ := second.sim.Order("KEEP-PAID"); o.TransactionID != paid.TransactionID || !o.Delivered {
		t.Errorf("paid order after restart = %+v, want %+v", o, paid)
	}
	if again := place(t, c, orderReq("KEEP-OPEN", m.url())); again != code {
		t.Errorf("re-entry after restart: code_url %q, want the same %q", again, code)
	}
	if err := second.sim.Pay(code); err != nil {
		t.Fatalf("paying after restart: %v", err)
	}
	eventually(t, "the notification after restart", func() bool { o, _ := second.sim.Order("KEEP-OPEN"); return o.Delivered })
	if got := len(m.received()); got != 2 {
		t.Errorf("merchant got %d notifications, want 2 (one per payment)", got)
	}
}

// A paid order whose notification was not acknowledged resumes its retry
// schedule after a restart, from where it stopped.
func TestRestartResumesNotification(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	var mu sync.Mutex
	answer := wxpay.FailReply("busy")
	m := newMerchant(t, func([]byte) (int, []byte) { mu.Lock(); defer mu.Unlock(); return http.StatusOK, answer })
	first := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), State: fileState(t, path)})
	code := place(t, first.client(t), orderReq("RESUME-01", m.url()))
	if err := first.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	first.waitTimer(t, 15*time.Second) // the first attempt failed
	first.sim.Close()

	mu.Lock()
	answer = wxpay.SuccessReply
	mu.Unlock()
	second := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0.Add(5 * time.Second)), State: fileState(t, path)})
	second.waitTimer(t, 10*time.Second) // what is left of the 15 s
	second.clock.Advance(10 * time.Second)
	eventually(t, "the resumed notification", func() bool { o, _ := second.sim.Order("RESUME-01"); return o.Delivered })
	if d := second.deliveriesOf("RESUME-01"); len(d) != 1 || d[0].Attempt != 2 || !d[0].Accepted {
		t.Errorf("deliveries after restart = %+v, want attempt 2, accepted", d)
	}
	if got := len(m.received()); got != 2 {
		t.Errorf("merchant got %d notifications, want 2", got)
	}
}

// The notifier checks Options.NotifyURLs before every attempt, so an order
// taken under other rules (here: restored from state) notifies nothing.
func TestResumedNotificationHonoursNotifyURLs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	m := newMerchant(t, func([]byte) (int, []byte) { return http.StatusOK, wxpay.FailReply("busy") })
	first := newRig(t, wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), State: fileState(t, path)})
	code := place(t, first.client(t), orderReq("REFUSE-01", m.url()))
	if err := first.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	first.waitTimer(t, 15*time.Second)
	first.sim.Close()

	opts := wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0.Add(time.Hour)), State: fileState(t, path),
		NotifyURLs: []string{"http://127.0.0.1:8080/wxpay/notify"}}
	second := newRig(t, opts)
	eventually(t, "the refused attempt", func() bool { return len(second.deliveriesOf("REFUSE-01")) > 0 })
	if d := second.deliveriesOf("REFUSE-01")[0]; d.HTTPStatus != 0 || !strings.Contains(d.Error, "not allowed") {
		t.Errorf("attempt after restart = %+v, want one refused for its notify_url", d)
	}
	if got := len(m.received()); got != 1 {
		t.Errorf("merchant got %d notifications, want only the one before the restart", got)
	}
	second.sim.Close()
	third := newRig(t, opts)
	if w := third.clock.Waiting(); len(w) != 0 || len(third.sim.Deliveries()) != 0 {
		t.Errorf("a third start resumed the abandoned notification: waiting %v, %d attempts", w, len(third.sim.Deliveries()))
	}
}

// A state file that cannot be read stops the start: starting empty would
// lose its orders.
func TestStateFileRefusesWhatItCannotRead(t *testing.T) {
	good := `{"version":1,"out_trade_no":"BAD-0001","fields":{"out_trade_no":"BAD-0001"},"sign_type":"MD5","code_url":"weixin://x","trade_state":"NOTPAY"}`
	tests := []struct {
		name, content string
		atOpen        bool // refused by OpenFileState rather than by Open
	}{
		{"not JSON", "{\"format\":", true},
		{"another format", `{"format":"something/2","orders":{}}`, true},
		{"no format", `{"orders":{}}`, true},
		{"unreadable order", `{"format":"wxpaysim-state/1","orders":{"BAD-0001":{"version":1,"state":{"sign_type":"SHA1"}}}}`, false},
		{"readable", `{"format":"wxpaysim-state/1","orders":{"BAD-0001":{"version":1,"state":` + good + `}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sim.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := wxpaysim.OpenFileState(path)
			if tt.atOpen {
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("OpenFileState = %v, want an error naming %s", err, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sim, err := wxpaysim.Open(context.Background(), wxpaysim.Options{State: st})
			if tt.name == "readable" {
				if err != nil {
					t.Fatalf("Open = %v", err)
				}
				defer sim.Close()
				if _, ok := sim.Order("BAD-0001"); !ok {
					t.Error("order not loaded")
				}
				return
			}
			if err == nil {
				sim.Close()
				t.Error("Open accepted an unreadable order")
			}
		})
	}
}

// The file is replaced whole: no temporary file is left beside it.
func TestStateFileIsWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.json")
	r := newRig(t, wxpaysim.Options{State: fileState(t, path)})
	c := r.client(t)
	var wg sync.WaitGroup
	for _, no := range []string{"ATOM-0001", "ATOM-0002", "ATOM-0003", "ATOM-0004"} {
		wg.Go(func() { place(t, c, orderReq(no, "http://127.0.0.1:1/n")) })
	}
	wg.Wait()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "sim.json" {
		t.Errorf("directory holds %v, want only sim.json", entries)
	}
	st := fileState(t, path)
	states, _ := st.LoadSimOrders(context.Background())
	if len(states) != 4 {
		t.Errorf("file holds %d orders, want 4", len(states))
	}
}

// failingState refuses saves while fail is set.
type failingState struct {
	mu   sync.Mutex
	fail bool
}

func (f *failingState) LoadSimOrders(context.Context) ([][]byte, error) { return nil, nil }
func (f *failingState) DeleteSimOrders(context.Context, []string) error { return nil }
func (f *failingState) SaveSimOrder(context.Context, string, int64, []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("disk full")
	}
	return nil
}

// An order the store could not keep is not placed: the merchant gets
// SYSTEMERROR and its identical retry succeeds once the store is back.
func TestUnsavedOrderIsRefused(t *testing.T) {
	st := &failingState{fail: true}
	r := newRig(t, wxpaysim.Options{State: st})
	c := r.client(t)
	_, err := c.UnifiedOrder(context.Background(), orderReq("SAVE-0001", "http://127.0.0.1:1/n"))
	wantErrCode(t, err, wxpay.CodeSystemError, "")
	if _, ok := r.sim.Order("SAVE-0001"); ok {
		t.Error("the unsaved order was kept")
	}
	st.mu.Lock()
	st.fail = false
	st.mu.Unlock()
	place(t, c, orderReq("SAVE-0001", "http://127.0.0.1:1/n"))
}
