package wxpaysim

import (
	"cmp"
	"slices"
	"time"

	"wxcheckout/wxpay"
)

// DefaultRefundDelay is how long a refund stays PROCESSING before it ends
// (before Speedup): long enough for a merchant to see PROCESSING, short
// enough for a demo.
const DefaultRefundDelay = 2 * time.Second

// MaxRefundsPerOrder is WeChat's limit on the partial refunds of one order.
const MaxRefundsPerOrder = 50

// refund is one out_refund_no at the simulated WeChat, part of its order.
// Guarded by Server.mu.
type refund struct {
	order       *order
	outRefundNo string
	refundID    string
	fee         int64
	reason      string
	notifyURL   string // "" sends no notification
	created     time.Time
	status      string    // one of wxpay.Refund*
	outcome     string    // the status it ends in, decided (by faults) when it was made
	endTime     time.Time // when it left PROCESSING; v2's success_time and v3's
	v3          bool      // made through API v3: its notification is v3
	delivered   bool      // its notification was acknowledged
}

// RefundInfo is a refund as the simulator sees it, for tests and
// /control/refunds.
type RefundInfo struct {
	OutRefundNo string    `json:"out_refund_no"`
	RefundID    string    `json:"refund_id"`
	OutTradeNo  string    `json:"out_trade_no"`
	RefundFee   int64     `json:"refund_fee"`
	Reason      string    `json:"reason,omitempty"`
	Status      string    `json:"status"` // PROCESSING, SUCCESS, CLOSED or ABNORMAL
	Created     time.Time `json:"created"`
	EndTime     time.Time `json:"end_time,omitzero"`
	NotifyURL   string    `json:"notify_url,omitempty"`
	Delivered   bool      `json:"delivered"`
	APIVersion  string    `json:"api_version"`
}

func (r *refund) info() RefundInfo {
	v := "v2"
	if r.v3 {
		v = "v3"
	}
	return RefundInfo{
		OutRefundNo: r.outRefundNo, RefundID: r.refundID, OutTradeNo: r.order.outTradeNo(), RefundFee: r.fee,
		Reason: r.reason, Status: r.status, Created: r.created, EndTime: r.endTime, NotifyURL: r.notifyURL,
		Delivered: r.delivered, APIVersion: v,
	}
}

// Refunds lists every refund, oldest first.
func (s *Server) Refunds() []RefundInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RefundInfo, 0, len(s.refunds))
	for _, r := range s.refunds {
		out = append(out, r.info())
	}
	slices.SortFunc(out, func(a, b RefundInfo) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.OutRefundNo, b.OutRefundNo))
	})
	return out
}

// Refund returns one refund by out_refund_no.
func (s *Server) Refund(outRefundNo string) (RefundInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[outRefundNo]
	if !ok {
		return RefundInfo{}, false
	}
	return r.info(), true
}

// paid reports whether o was paid: SUCCESS, or REFUND once a refund of it
// succeeded. Guarded by s.mu.
func (o *order) paid() bool { return o.state == wxpay.TradeSuccess || o.state == wxpay.TradeRefund }

// refundable is what may still be refunded of o: the payment less every
// refund not CLOSED (a CLOSED refund gives its amount back; an ABNORMAL
// one does not, the money having left). Guarded by s.mu.
func (o *order) refundable() int64 {
	left := o.totalFee
	for _, r := range o.refunds {
		if r.status != wxpay.RefundClosed {
			left -= r.fee
		}
	}
	return left
}

// refundAsk is a refund request of either API, validated for its format.
type refundAsk struct {
	outTradeNo    string // or
	transactionID string
	outRefundNo   string
	totalFee      int64
	refundFee     int64
	reason        string
	notifyURL     string
	v3            bool
}

// refundRefusal says why a refund was not made; each API words it its own way.
type refundRefusal int

const (
	refundOK          refundRefusal = iota
	refundNoOrder                   // unknown, unpaid or closed order
	refundWrongTotal                // total_fee is not the order's
	refundConflict                  // out_refund_no taken with other fields
	refundNotEnough                 // over what remains refundable
	refundTooMany                   // MaxRefundsPerOrder reached
	refundStoreFailed               // the StateStore could not take it
)

// placeRefund makes the refund a asks for, or finds the one it repeats
// (same out_refund_no, order and amount: idempotent, as at WeChat). The
// check of the refundable amount and the insertion are one step under
// s.mu, so concurrent refunds never add up to more than was paid.
func (s *Server) placeRefund(a refundAsk) (RefundInfo, refundRefusal) {
	now := s.now()
	s.mu.Lock()
	r, why, made := s.placeRefundLocked(a, now)
	var info RefundInfo
	if r != nil {
		info = r.info()
	}
	if !made {
		s.mu.Unlock()
		return info, why
	}
	saved := s.changed(r.order)
	s.mu.Unlock()
	if err := s.persist(saved); err != nil {
		s.unrefund(r)
		return RefundInfo{}, refundStoreFailed
	}
	s.log.Info("wxpaysim refund", "out_trade_no", info.OutTradeNo, "out_refund_no", info.OutRefundNo,
		"refund_fee", info.RefundFee, "outcome", r.outcome)
	s.settleLater(r, s.refundDelay())
	return info, refundOK
}

// placeRefundLocked reports made when it created the refund. Guarded by s.mu.
func (s *Server) placeRefundLocked(a refundAsk, now time.Time) (r *refund, why refundRefusal, made bool) {
	var o *order
	if a.outTradeNo != "" {
		o = s.orders[a.outTradeNo]
	} else {
		o = s.byTxn[a.transactionID]
	}
	if old := s.refunds[a.outRefundNo]; old != nil {
		if old.order != o || old.fee != a.refundFee || old.order.totalFee != a.totalFee {
			return nil, refundConflict, false
		}
		return old, refundOK, false
	}
	switch {
	case o == nil || !o.paid():
		return nil, refundNoOrder, false
	case a.totalFee != o.totalFee:
		return nil, refundWrongTotal, false
	case len(o.refunds) >= MaxRefundsPerOrder:
		return nil, refundTooMany, false
	case a.refundFee > o.refundable():
		return nil, refundNotEnough, false
	}
	r = &refund{
		order: o, outRefundNo: a.outRefundNo, refundID: newRefundID(now), fee: a.refundFee, reason: a.reason,
		notifyURL: a.notifyURL, created: now, status: wxpay.RefundProcessing, outcome: s.refundOutcome(),
		v3: a.v3,
	}
	o.refunds = append(o.refunds, r)
	s.refunds[r.outRefundNo] = r
	return r, refundOK, true
}

// unrefund removes a new refund whose save failed, unless it moved on.
func (s *Server) unrefund(r *refund) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refunds[r.outRefundNo] != r || r.status != wxpay.RefundProcessing {
		return
	}
	delete(s.refunds, r.outRefundNo)
	r.order.refunds = slices.DeleteFunc(r.order.refunds, func(x *refund) bool { return x == r })
}

// refundOutcome consumes a refund_abnormal or refund_closed fault, if one
// is pending. Guarded by s.mu.
func (s *Server) refundOutcome() string {
	if _, ok := s.faults.take(FaultRefundAbnormal, ""); ok {
		return wxpay.RefundAbnormal
	}
	if _, ok := s.faults.take(FaultRefundClosed, ""); ok {
		return wxpay.RefundClosed
	}
	return wxpay.RefundSuccess
}

func (s *Server) refundDelay() time.Duration {
	if s.opts.RefundDelay < 0 {
		return 0
	}
	return s.scaled(cmp.Or(s.opts.RefundDelay, DefaultRefundDelay))
}

// settleLater ends r after wait, on the injected clock.
func (s *Server) settleLater(r *refund, wait time.Duration) {
	_ = s.goTracked(func() { // closed: the refund stays PROCESSING, as in the state saved
		if s.sleep(wait) {
			s.settle(r)
		}
	})
}

// settle moves r to its outcome, the order to REFUND when it succeeded,
// and starts its notification.
func (s *Server) settle(r *refund) {
	now := s.now()
	s.mu.Lock()
	if r.status != wxpay.RefundProcessing || s.refunds[r.outRefundNo] != r {
		s.mu.Unlock()
		return
	}
	r.status, r.endTime = r.outcome, now
	if r.status == wxpay.RefundSuccess {
		r.order.state = wxpay.TradeRefund
	}
	saved := s.changed(r.order)
	var n *notice
	if r.notifyURL != "" {
		n = s.refundNotification(r)
	}
	info := r.info()
	s.mu.Unlock()
	_ = s.persist(saved) // logged; the refund's end stands
	s.log.Info("wxpaysim refund ended", "out_trade_no", info.OutTradeNo, "out_refund_no", info.OutRefundNo,
		"status", info.Status)
	if n != nil {
		_ = s.goTracked(func() { s.notifyFrom(*n, 1, nil) })
	}
}

// newRefundID makes a 29-digit id shaped like WeChat's refund ids:
// 50 + 3 digits + yyyyMMdd + 16 digits.
func newRefundID(now time.Time) string {
	return "50" + randomDigits(3) + now.In(wxpay.Beijing()).Format("20060102") + randomDigits(16)
}
