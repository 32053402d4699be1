package wxpaysim

import (
	"fmt"
	"slices"
	"time"
)

// FaultKind names one kind of injected misbehaviour. Notification faults
// count notification attempts (each POST, first send or retry) unless said
// otherwise; API faults count calls.
type FaultKind string

const (
	// FaultDrop: the next Count attempts are not sent (recorded as dropped);
	// the retry schedule goes on as if the merchant had not answered.
	FaultDrop FaultKind = "drop"
	// FaultDropAll: the next Count payments get no notification at all, ever.
	// The orders stay paid, so only orderquery finds them.
	FaultDropAll FaultKind = "drop_all"
	// FaultDuplicate: the next Count attempts go out as Copies concurrent POSTs.
	FaultDuplicate FaultKind = "duplicate"
	// FaultDelay: the next Count attempts wait Delay (on the simulator's clock) first.
	FaultDelay FaultKind = "delay"
	// FaultReorder: the first notifications of the next Count payments are
	// held until all Count are paid, then sent one by one, newest first.
	FaultReorder FaultKind = "reorder"
	// FaultBadSign: the next Count attempts carry a wrong sign.
	FaultBadSign FaultKind = "bad_sign"
	// FaultWrongAmount: the next Count attempts say total_fee+1, correctly signed.
	FaultWrongAmount FaultKind = "wrong_amount"
	// FaultBadResource: the next Count v3 attempts carry a resource
	// encrypted with another APIv3 key, correctly signed (what a merchant
	// with a wrong WXPAY_APIV3_KEY sees). v2 attempts do not take it.
	FaultBadResource FaultKind = "bad_resource"
	// FaultSystemError: the next Count API calls (to Endpoint, or any)
	// answer result_code=FAIL err_code=SYSTEMERROR (v3: 500 SYSTEM_ERROR)
	// without taking effect, or, with Apply, after taking effect. A refund
	// call always takes effect first: WeChat's SYSTEMERROR on a refund
	// means "outcome unknown", and the refund is then found by a retry
	// with the same out_refund_no or by refundquery.
	FaultSystemError FaultKind = "systemerror"
	// FaultHang: the next Count API calls (to Endpoint, or any) get no
	// answer until the client gives up, or for Delay (default 30 s) after
	// which they are answered normally. With Apply the call takes effect
	// before the hang, so only its reply is lost.
	FaultHang FaultKind = "hang"
	// FaultRefundAbnormal: the next Count refunds end ABNORMAL (v2 CHANGE)
	// instead of SUCCESS: the money could not reach the shopper.
	FaultRefundAbnormal FaultKind = "refund_abnormal"
	// FaultRefundClosed: the next Count refunds end CLOSED (v2
	// REFUNDCLOSE); their amount becomes refundable again.
	FaultRefundClosed FaultKind = "refund_closed"
)

// Fault is one injected misbehaviour; see the FaultKind constants.
type Fault struct {
	Kind     FaultKind
	Count    int           // how many attempts, payments or calls; default 1
	Copies   int           // FaultDuplicate: copies per attempt; default 2
	Delay    time.Duration // FaultDelay: required; FaultHang: the most to hang, default 30 s
	Endpoint string        // FaultSystemError, FaultHang: one of APIEndpoints; "" for any
	Apply    bool          // FaultHang, FaultSystemError: let the call take effect first
}

// APIEndpoints are the operation names API faults can target; the v3
// endpoints share the names of their v2 counterparts.
var APIEndpoints = []string{"unifiedorder", "orderquery", "closeorder", "refund", "refundquery"}

// faultSet is the pending faults. Guarded by Server.mu.
type faultSet struct {
	pending     []Fault
	reorderSize int // batch size of the active reorder fault; 0 when none
	held        []*heldNotice
}

// heldNotice is a first notification waiting for its reorder batch.
type heldNotice struct {
	release chan struct{} // closed when it may be sent
	sent    chan struct{} // closed once its attempt is over
}

func (f *Fault) normalize() error {
	if f.Count == 0 {
		f.Count = 1
	}
	switch {
	case f.Count < 0:
		return fmt.Errorf("wxpaysim: fault count %d", f.Count)
	case f.Endpoint != "" && !slices.Contains(APIEndpoints, f.Endpoint):
		return fmt.Errorf("wxpaysim: unknown endpoint %q", f.Endpoint)
	}
	switch f.Kind {
	case FaultDrop, FaultDropAll, FaultReorder, FaultBadSign, FaultWrongAmount, FaultSystemError, FaultBadResource,
		FaultRefundAbnormal, FaultRefundClosed:
	case FaultDuplicate:
		f.Copies = max(f.Copies, 2)
	case FaultDelay:
		if f.Delay <= 0 {
			return fmt.Errorf("wxpaysim: delay fault needs a positive delay")
		}
	case FaultHang:
		if f.Delay <= 0 {
			f.Delay = 30 * time.Second
		}
	default:
		return fmt.Errorf("wxpaysim: unknown fault %q", f.Kind)
	}
	return nil
}

// Inject adds a fault. A fault of the same kind (and endpoint) still pending
// is replaced.
func (s *Server) Inject(f Fault) error {
	if err := f.normalize(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == FaultReorder {
		// A new batch starts; anything held for the old one waits for it.
		s.faults.reorderSize = f.Count
		s.log.Info("wxpaysim fault injected", "fault", f.Kind, "count", f.Count)
		return nil
	}
	s.faults.pending = slices.DeleteFunc(s.faults.pending, func(p Fault) bool {
		return p.Kind == f.Kind && p.Endpoint == f.Endpoint
	})
	s.faults.pending = append(s.faults.pending, f)
	s.log.Info("wxpaysim fault injected", "fault", f.Kind, "count", f.Count, "endpoint", f.Endpoint)
	return nil
}

// ClearFaults removes every pending fault. Notifications held for an
// incomplete reorder batch are released, newest first.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	batch := s.faults.held
	s.faults = faultSet{}
	s.mu.Unlock()
	if len(batch) > 0 {
		_ = s.goTracked(func() { s.releaseReversed(batch) }) // closed: the held ones end with the server
	}
}

// PendingFaults lists the faults still to fire, with their remaining counts.
func (s *Server) PendingFaults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.faults.pending)
	if n := s.faults.reorderSize - len(s.faults.held); s.faults.reorderSize > 0 {
		out = append(out, Fault{Kind: FaultReorder, Count: n})
	}
	return out
}

// take consumes one use of the first pending fault of kind matching op.
// Guarded by Server.mu.
func (fs *faultSet) take(kind FaultKind, op string) (Fault, bool) {
	for i := range fs.pending {
		f := &fs.pending[i]
		if f.Kind != kind || (f.Endpoint != "" && f.Endpoint != op) {
			continue
		}
		got := *f
		if f.Count--; f.Count == 0 {
			fs.pending = slices.Delete(fs.pending, i, i+1)
		}
		return got, true
	}
	return Fault{}, false
}

// takeAPIFault consumes a SYSTEMERROR or hang fault for op, if one is pending.
func (s *Server) takeAPIFault(op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []FaultKind{FaultSystemError, FaultHang} {
		if f, ok := s.faults.take(k, op); ok {
			return f, true
		}
	}
	return Fault{}, false
}

// attemptFaults are the faults one notification attempt carries.
type attemptFaults struct {
	drop, badSign, wrongAmount bool
	badResource                bool
	delay                      time.Duration
	copies                     int
	names                      []string
}

func (s *Server) takeAttemptFaults(v3 bool) attemptFaults {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := attemptFaults{copies: 1}
	has := func(k FaultKind) (Fault, bool) {
		f, ok := s.faults.take(k, "")
		if ok {
			a.names = append(a.names, string(k))
		}
		return f, ok
	}
	if _, a.drop = has(FaultDrop); a.drop {
		return a // nothing is sent, so nothing else is spent on it
	}
	if f, ok := has(FaultDelay); ok {
		a.delay = f.Delay
	}
	if f, ok := has(FaultDuplicate); ok {
		a.copies = f.Copies
	}
	_, a.badSign = has(FaultBadSign)
	_, a.wrongAmount = has(FaultWrongAmount)
	if v3 {
		_, a.badResource = has(FaultBadResource)
	}
	return a
}

// deliveryPlan is what the faults decided for a payment's notifications
// when it was made, so that "the next N payments" means payment order, not
// goroutine scheduling order.
type deliveryPlan struct {
	dropAll bool        // no notification at all
	held    *heldNotice // first notification held for a reorder batch
}

// planDelivery consumes the per-payment faults. When it completes a
// reorder batch it returns the batch, for the caller to release once it
// has let go of s.mu. Guarded by s.mu.
func (s *Server) planDelivery() (deliveryPlan, []*heldNotice) {
	if _, ok := s.faults.take(FaultDropAll, ""); ok {
		return deliveryPlan{dropAll: true}, nil
	}
	if s.faults.reorderSize == 0 {
		return deliveryPlan{}, nil
	}
	h := &heldNotice{release: make(chan struct{}), sent: make(chan struct{})}
	s.faults.held = append(s.faults.held, h)
	var batch []*heldNotice
	if len(s.faults.held) == s.faults.reorderSize {
		batch, s.faults.held, s.faults.reorderSize = s.faults.held, nil, 0
	}
	return deliveryPlan{held: h}, batch
}

// releaseReversed lets the held notifications go newest first, each only
// after the previous one's attempt is over, so the merchant sees them in
// exactly the reverse order.
func (s *Server) releaseReversed(batch []*heldNotice) {
	for i := len(batch) - 1; i >= 0; i-- {
		close(batch[i].release)
		select {
		case <-batch[i].sent:
		case <-s.ctx.Done():
			return
		}
	}
}
