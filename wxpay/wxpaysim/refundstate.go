package wxpaysim

import (
	"fmt"
	"slices"
	"time"

	"wxcheckout/wxpay"
)

// savedRefund is a refund as the StateStore keeps it, inside its order.
// Its notification's progress is not kept: a restart does not resume it.
type savedRefund struct {
	OutRefundNo string    `json:"out_refund_no"`
	RefundID    string    `json:"refund_id"`
	Fee         int64     `json:"fee"`
	Reason      string    `json:"reason,omitempty"`
	NotifyURL   string    `json:"notify_url,omitempty"`
	Created     time.Time `json:"created"`
	Status      string    `json:"status"`
	Outcome     string    `json:"outcome"`
	EndTime     time.Time `json:"end_time,omitzero"`
	V3          bool      `json:"v3,omitempty"`
	Delivered   bool      `json:"delivered,omitempty"`
}

func saveRefunds(rs []*refund) []savedRefund {
	if len(rs) == 0 {
		return nil
	}
	out := make([]savedRefund, len(rs))
	for i, r := range rs {
		out[i] = savedRefund{
			OutRefundNo: r.outRefundNo, RefundID: r.refundID, Fee: r.fee, Reason: r.reason, NotifyURL: r.notifyURL,
			Created: r.created.UTC(), Status: r.status, Outcome: r.outcome, EndTime: r.endTime.UTC(), V3: r.v3,
			Delivered: r.delivered,
		}
	}
	return out
}

var refundStates = []string{wxpay.RefundProcessing, wxpay.RefundSuccess, wxpay.RefundClosed, wxpay.RefundAbnormal}

func loadRefunds(o *order, saved []savedRefund) error {
	for _, sr := range saved {
		if sr.OutRefundNo == "" || sr.Fee <= 0 || !slices.Contains(refundStates, sr.Status) ||
			!slices.Contains(refundStates[1:], sr.Outcome) {
			return fmt.Errorf("refund %q is incomplete", sr.OutRefundNo)
		}
		o.refunds = append(o.refunds, &refund{
			order: o, outRefundNo: sr.OutRefundNo, refundID: sr.RefundID, fee: sr.Fee, reason: sr.Reason,
			notifyURL: sr.NotifyURL, created: sr.Created, status: sr.Status, outcome: sr.Outcome,
			endTime: sr.EndTime, v3: sr.V3, delivered: sr.Delivered,
		})
	}
	return nil
}

// resumeRefunds restarts the wait of every refund still PROCESSING after
// Open: it ends when it would have, or at once if that time passed while
// the simulator was down. Guarded by s.mu, before the server is shared.
func (s *Server) resumeRefunds() {
	now, delay := s.now(), s.refundDelay()
	for _, r := range s.refunds {
		if r.status != wxpay.RefundProcessing {
			continue
		}
		wait := r.created.Add(delay).Sub(now)
		s.wg.Add(1) // goTracked takes s.mu, held here; the server is not closed yet
		go func() {
			defer s.wg.Done()
			if s.sleep(wait) {
				s.settle(r)
			}
		}()
	}
}
