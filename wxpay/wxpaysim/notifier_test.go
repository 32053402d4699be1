package wxpaysim_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

func TestNotificationContent(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256} {
		t.Run(string(st), func(t *testing.T) {
			r := manualRig(t)
			c := r.client(t, func(cfg *wxpay.Config) { cfg.SignType = st })
			m := newMerchant(t, nil)
			code := place(t, c, orderReq("NOTE-00001", m.url()))
			r.clock.Advance(time.Minute)
			if err := r.sim.Pay(code); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the acknowledged notification", func() bool {
				info, _ := r.sim.Order("NOTE-00001")
				return info.Delivered
			})
			p := m.received()[0]
			if _, ok := p["sign_type"]; ok {
				t.Errorf("notification carries sign_type %q; WeChat leaves it out", p["sign_type"])
			}
			if want := map[wxpay.SignType]int{wxpay.SignMD5: 32, wxpay.SignHMACSHA256: 64}[st]; len(p["sign"]) != want {
				t.Errorf("sign of length %d, want %d", len(p["sign"]), want)
			}
			n, err := c.ParseNotification(wxpay.Encode(p))
			if err != nil {
				t.Fatalf("merchant cannot verify: %v", err)
			}
			if !n.Paid() || n.OutTradeNo != "NOTE-00001" || n.TotalFee != 1234 || n.CashFee != 1234 ||
				!txnShape.MatchString(n.TransactionID) || !n.TimeEnd.Equal(t0.Add(time.Minute)) ||
				n.OpenID == "" || n.BankType == "" || n.FeeType != "CNY" || n.TradeType != "NATIVE" ||
				n.Attach != "note=1" || n.IsSubscribe == "" || p["nonce_str"] == "" {
				t.Errorf("notification = %+v", n)
			}
			if p["time_end"] != "20250301100100" {
				t.Errorf("time_end = %q, want Beijing time 20250301100100", p["time_end"])
			}
			info, _ := r.sim.Order("NOTE-00001")
			if !info.Delivered || info.TransactionID != n.TransactionID {
				t.Errorf("order after ack = %+v", info)
			}
			if len(r.clock.Waiting()) != 0 {
				t.Errorf("retry scheduled after an ack: %v", r.clock.Waiting())
			}
		})
	}
}

// TestRetrySchedule steps a never-acknowledging merchant through the whole
// 24-hour schedule on a manual clock.
func TestRetrySchedule(t *testing.T) {
	for _, speedup := range []float64{1, 60} {
		t.Run(fmt.Sprint("speedup ", speedup), func(t *testing.T) {
			clock := wxpaysim.NewManualClock(t0)
			r := newRig(t, wxpaysim.Options{Clock: clock, Speedup: speedup})
			m := newMerchant(t, func([]byte) (int, []byte) { return http.StatusOK, wxpay.FailReply("busy") })
			code := place(t, r.client(t), orderReq("RETRY-0001", m.url()))
			if err := r.sim.Pay(code); err != nil {
				t.Fatal(err)
			}
			want := []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
				10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute,
				time.Hour, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour}
			wantTimes := []time.Time{t0}
			for i, d := range want {
				scaled := time.Duration(float64(d) / speedup)
				r.waitTimer(t, scaled)
				if got := len(m.received()); got != i+1 {
					t.Fatalf("before wait %d: merchant got %d notifications, want %d", i+1, got, i+1)
				}
				clock.Advance(scaled)
				wantTimes = append(wantTimes, clock.Now())
			}
			eventually(t, "the 16th attempt", func() bool { return len(r.deliveriesOf("RETRY-0001")) == 16 })
			time.Sleep(20 * time.Millisecond) // a 17th attempt would come now, if ever
			if w := clock.Waiting(); len(w) != 0 || len(m.received()) != 16 {
				t.Errorf("after the schedule: waiting %v, %d sent; want give up after 16", w, len(m.received()))
			}
			for i, d := range r.deliveriesOf("RETRY-0001") {
				if d.Attempt != i+1 || !d.Time.Equal(wantTimes[i]) || d.Accepted || d.HTTPStatus != 200 {
					t.Errorf("delivery %d = %+v, want attempt %d at %v", i, d, i+1, wantTimes[i])
				}
			}
			if got := wxpaysim.RetrySchedule(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("RetrySchedule() = %v", got)
			}
		})
	}
}

// TestReplyStrictness: only a 2xx with the SUCCESS XML stops the resends.
func TestReplyStrictness(t *testing.T) {
	tests := []struct {
		name   string
		status int
		reply  string
		ok     bool
	}{
		{"exact SUCCESS XML", 200, string(wxpay.SuccessReply), true},
		{"SUCCESS XML without CDATA", 200, "<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>", true},
		{"plain success", 200, "success", false},
		{"plain SUCCESS", 200, "SUCCESS", false},
		{"JSON", 200, `{"return_code":"SUCCESS"}`, false},
		{"HTML", 200, "<html><body>SUCCESS</body></html>", false},
		{"empty", 200, "", false},
		{"FAIL XML", 200, string(wxpay.FailReply("sign error")), false},
		{"SUCCESS XML with 500", 500, string(wxpay.SuccessReply), false},
		{"SUCCESS XML with 404", 404, string(wxpay.SuccessReply), false},
		{"SUCCESS XML with 302", 302, string(wxpay.SuccessReply), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := manualRig(t)
			m := newMerchant(t, func([]byte) (int, []byte) { return tt.status, []byte(tt.reply) })
			code := place(t, r.client(t), orderReq("STRICT-001", m.url()))
			if err := r.sim.Pay(code); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the first attempt", func() bool { return len(r.deliveriesOf("STRICT-001")) == 1 })
			d := r.deliveriesOf("STRICT-001")[0]
			if d.Accepted != tt.ok || d.HTTPStatus != tt.status {
				t.Errorf("delivery = %+v, want accepted=%v", d, tt.ok)
			}
			if tt.ok {
				time.Sleep(20 * time.Millisecond)
				if w := r.clock.Waiting(); len(w) != 0 {
					t.Errorf("acknowledged, yet waiting %v to resend", w)
				}
				return
			}
			r.waitTimer(t, 15*time.Second)
			r.clock.Advance(15 * time.Second)
			eventually(t, "the resend", func() bool { return len(m.received()) == 2 })
		})
	}
}

func TestUnreachableMerchantIsRetried(t *testing.T) {
	r := manualRig(t)
	code := place(t, r.client(t), orderReq("DOWN-00001", "http://127.0.0.1:1/notify"))
	if err := r.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	r.waitTimer(t, 15*time.Second)
	if d := r.deliveriesOf("DOWN-00001"); len(d) != 1 || d[0].Error == "" || d[0].HTTPStatus != 0 {
		t.Errorf("deliveries = %+v, want one failed connection", d)
	}
}

// TestConcurrentPayments pays 100 orders at once; each is delivered and
// acknowledged exactly once.
func TestConcurrentPayments(t *testing.T) {
	// A patient notifier: on a loaded CI machine a 5 s timeout could fire
	// and turn into a legitimate resend, which is not what this tests.
	r := newRig(t, wxpaysim.Options{HTTPClient: &http.Client{Timeout: time.Minute}})
	m := newMerchant(t, nil)
	c := r.client(t)
	const n = 100
	codes := make([]string, n)
	for i := range codes {
		codes[i] = place(t, c, orderReq(fmt.Sprintf("CONC-%04d", i), m.url()))
	}
	// Every code paid twice at once, all racing: each order is paid once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	paid := map[string]int{}
	for range 2 {
		for _, code := range codes {
			wg.Go(func() {
				if err := r.sim.Pay(code); err == nil {
					mu.Lock()
					paid[code]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for _, code := range codes {
		if paid[code] != 1 {
			t.Errorf("%s paid %d times", code, paid[code])
		}
	}
	eventually(t, "every notification acknowledged", func() bool {
		for _, o := range r.sim.Orders() {
			if !o.Delivered {
				return false
			}
		}
		return true
	})
	seen := map[string]int{}
	for _, p := range m.received() {
		seen[p["out_trade_no"]]++
	}
	for i := range n {
		if no := fmt.Sprintf("CONC-%04d", i); seen[no] != 1 {
			t.Errorf("%s delivered %d times", no, seen[no])
		}
	}
	for _, d := range r.sim.Deliveries() {
		if !d.Accepted {
			t.Errorf("failed delivery %+v", d)
		}
	}
	for _, o := range r.sim.Orders() {
		if o.TradeState != wxpay.TradeSuccess || !o.Delivered {
			t.Errorf("order %+v not paid and delivered", o)
		}
	}
	if got := len(r.sim.Deliveries()); got != n {
		t.Errorf("%d delivery records, want %d", got, n)
	}
}
