package wxpaysim_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

func inject(tb testing.TB, r *rig, f wxpaysim.Fault) {
	tb.Helper()
	if err := r.sim.Inject(f); err != nil {
		tb.Fatal(err)
	}
}

// paidOrder places and pays one order notifying m.
func paidOrder(tb testing.TB, r *rig, no string, m *merchant) {
	tb.Helper()
	code := place(tb, r.client(tb), orderReq(no, m.url()))
	if err := r.sim.Pay(code); err != nil {
		tb.Fatal(err)
	}
}

func TestFaultDrop(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDrop, Count: 2})
	paidOrder(t, r, "DROP-00001", m)
	for range 2 {
		r.waitTimer(t, 15*time.Second)
		r.clock.Advance(15 * time.Second)
	}
	eventually(t, "the third attempt", func() bool { return len(r.deliveriesOf("DROP-00001")) == 3 })
	ds := r.deliveriesOf("DROP-00001")
	if len(ds) != 3 || ds[0].Fault != "drop" || ds[1].Fault != "drop" || ds[2].Fault != "" || !ds[2].Accepted {
		t.Errorf("deliveries = %+v, want two dropped, then delivered", ds)
	}
}

func TestFaultDropAll(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDropAll})
	paidOrder(t, r, "LOST-00001", m)
	eventually(t, "the drop record", func() bool { return len(r.deliveriesOf("LOST-00001")) == 1 })
	if w := r.clock.Waiting(); len(w) != 0 || len(m.received()) != 0 {
		t.Errorf("lost notification: waiting %v, sent %d", w, len(m.received()))
	}
	q, err := r.client(t).OrderQuery(context.Background(), "LOST-00001")
	if err != nil || !q.Paid() {
		t.Errorf("orderquery after a lost notification: %v %v, want SUCCESS", q, err)
	}
	// the fault is spent: the next payment is notified
	paidOrder(t, r, "LOST-00002", m)
	eventually(t, "the next notification", func() bool { return len(m.received()) == 1 })
}

func TestFaultDuplicate(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDuplicate, Copies: 3})
	paidOrder(t, r, "DUP-000001", m)
	eventually(t, "three copies", func() bool { return len(r.deliveriesOf("DUP-000001")) == 3 })
	copies := map[int]bool{}
	for _, d := range r.deliveriesOf("DUP-000001") {
		copies[d.Copy] = d.Attempt == 1 && d.Fault == "duplicate" && d.Accepted
	}
	if !copies[1] || !copies[2] || !copies[3] || len(m.received()) != 3 {
		t.Errorf("deliveries = %+v", r.deliveriesOf("DUP-000001"))
	}
	if got := m.received(); got[0]["transaction_id"] != got[2]["transaction_id"] {
		t.Error("copies differ")
	}
}

func TestFaultDelay(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDelay, Delay: 40 * time.Second})
	paidOrder(t, r, "DELAY-0001", m)
	r.waitTimer(t, 40*time.Second)
	if len(m.received()) != 0 {
		t.Fatal("sent before the delay")
	}
	r.clock.Advance(40 * time.Second)
	eventually(t, "the delayed notification", func() bool { return len(r.deliveriesOf("DELAY-0001")) == 1 })
	if d := r.deliveriesOf("DELAY-0001"); !d[0].Time.Equal(t0.Add(40*time.Second)) || d[0].Fault != "delay" {
		t.Errorf("delivery = %+v", d[0])
	}
}

func TestFaultReorder(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultReorder, Count: 3})
	for i := range 3 {
		paidOrder(t, r, fmt.Sprintf("REORD-%04d", i), m)
		if i < 2 && len(m.received()) != 0 {
			t.Fatal("sent before the batch was complete")
		}
	}
	eventually(t, "the batch", func() bool { return len(m.received()) == 3 })
	var order []string
	for _, p := range m.received() {
		order = append(order, p["out_trade_no"])
	}
	if want := []string{"REORD-0002", "REORD-0001", "REORD-0000"}; !slices.Equal(order, want) {
		t.Errorf("received %v, want %v", order, want)
	}
}

func TestFaultReorderCleared(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultReorder, Count: 5})
	paidOrder(t, r, "HELD-00001", m)
	paidOrder(t, r, "HELD-00002", m)
	r.sim.ClearFaults()
	eventually(t, "the held ones", func() bool { return len(m.received()) == 2 })
	if got := m.received()[0]["out_trade_no"]; got != "HELD-00002" {
		t.Errorf("first released %s, want the newest", got)
	}
}

// TestFaultBadSignAndWrongAmount: a merchant that checks sign and amount
// refuses the faulty attempt and accepts the correct resend.
func TestFaultBadSignAndWrongAmount(t *testing.T) {
	for _, kind := range []wxpaysim.FaultKind{wxpaysim.FaultBadSign, wxpaysim.FaultWrongAmount} {
		t.Run(string(kind), func(t *testing.T) {
			r := manualRig(t)
			c := r.client(t)
			m := newMerchant(t, func(body []byte) (int, []byte) {
				n, err := c.ParseNotification(body)
				if err != nil || n.TotalFee != 1234 {
					return http.StatusOK, wxpay.FailReply("refused")
				}
				return http.StatusOK, wxpay.SuccessReply
			})
			inject(t, r, wxpaysim.Fault{Kind: kind})
			paidOrder(t, r, "FAULTY-001", m)
			r.waitTimer(t, 15*time.Second)
			first := m.received()[0]
			_, verr := c.ParseNotification(wxpay.Encode(first))
			switch kind {
			case wxpaysim.FaultBadSign:
				if verr == nil {
					t.Error("bad_sign notification verifies")
				}
			case wxpaysim.FaultWrongAmount:
				if verr != nil || first["total_fee"] != "1235" || first["cash_fee"] != "1234" {
					t.Errorf("wrong_amount notification: %v, %v", verr, first)
				}
			}
			r.clock.Advance(15 * time.Second)
			eventually(t, "the resend", func() bool { return len(r.deliveriesOf("FAULTY-001")) == 2 })
			ds := r.deliveriesOf("FAULTY-001")
			if ds[0].Accepted || ds[0].Fault != string(kind) || !ds[1].Accepted || ds[1].Fault != "" {
				t.Errorf("deliveries = %+v", ds)
			}
		})
	}
}

func TestFaultSystemError(t *testing.T) {
	r := manualRig(t)
	c := r.client(t)
	ctx := context.Background()
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "orderquery"})
	req := orderReq("SYSERR-001", "http://127.0.0.1:1/n")
	first := place(t, c, req) // another endpoint: not affected
	_, err := c.OrderQuery(ctx, "SYSERR-001")
	if wantErrCode(t, err, wxpay.CodeSystemError, ""); !wxpay.IsRetryable(err) {
		t.Error("SYSTEMERROR not retryable")
	}
	if _, err := c.OrderQuery(ctx, "SYSERR-001"); err != nil {
		t.Errorf("query after the fault: %v", err)
	}

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Count: 2})
	for range 2 {
		_, err := c.UnifiedOrder(ctx, orderReq("SYSERR-002", "http://127.0.0.1:1/n"))
		wantErrCode(t, err, wxpay.CodeSystemError, "")
	}
	if _, ok := r.sim.Order("SYSERR-002"); ok {
		t.Error("a SYSTEMERROR call took effect")
	}
	if again := place(t, c, req); again != first {
		t.Errorf("re-entry after SYSTEMERROR: %s, want %s", again, first)
	}
}

func TestFaultHang(t *testing.T) {
	r := manualRig(t)
	ctx := context.Background()
	impatient := r.client(t, func(cfg *wxpay.Config) { cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond} })
	req := orderReq("HANG-00001", "http://127.0.0.1:1/n")

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultHang, Endpoint: "unifiedorder"})
	if _, err := impatient.UnifiedOrder(ctx, req); !wxpay.IsTransport(err) {
		t.Fatalf("hung call: %v, want a transport error", err)
	}
	if _, ok := r.sim.Order("HANG-00001"); ok {
		t.Error("hung call without apply took effect")
	}

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultHang, Apply: true})
	if _, err := impatient.UnifiedOrder(ctx, req); !wxpay.IsTransport(err) {
		t.Fatalf("hung call: %v, want a transport error", err)
	}
	info, ok := r.sim.Order("HANG-00001")
	if !ok {
		t.Fatal("hung call with apply did not take effect")
	}
	// the outcome was unknown to the merchant; an identical retry recovers it
	resp, err := impatient.UnifiedOrder(ctx, req)
	if err != nil || resp.CodeURL != info.CodeURL {
		t.Errorf("retry after hang: %v %v, want %s", resp, err, info.CodeURL)
	}

	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultHang, Delay: 10 * time.Millisecond})
	if _, err := r.client(t).OrderQuery(ctx, "HANG-00001"); err != nil {
		t.Errorf("a short hang then answers: %v", err)
	}
}

func TestFaultValidation(t *testing.T) {
	r := manualRig(t)
	for _, f := range []wxpaysim.Fault{
		{Kind: "explode"},
		{Kind: wxpaysim.FaultDelay},
		{Kind: wxpaysim.FaultDrop, Count: -1},
		{Kind: wxpaysim.FaultSystemError, Endpoint: "micropay"},
	} {
		if err := r.sim.Inject(f); err == nil {
			t.Errorf("Inject(%+v) accepted", f)
		}
	}
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDrop, Count: 3})
	inject(t, r, wxpaysim.Fault{Kind: wxpaysim.FaultDrop, Count: 2}) // replaces
	if p := r.sim.PendingFaults(); len(p) != 1 || p[0].Count != 2 {
		t.Errorf("pending = %+v", p)
	}
	r.sim.ClearFaults()
	if p := r.sim.PendingFaults(); len(p) != 0 {
		t.Errorf("pending after clear = %+v", p)
	}
}
