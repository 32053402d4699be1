package wxpaysim

import (
	"time"

	"wxcheckout/wxpay"
)

// Delivery is one notification attempt as the merchant's server saw it.
type Delivery struct {
	OutTradeNo  string    `json:"out_trade_no"`
	OutRefundNo string    `json:"out_refund_no,omitempty"` // a refund's notification
	Attempt     int       `json:"attempt"`                 // 1 is the first send, 2 the first resend, …
	Copy        int       `json:"copy,omitempty"`          // 1…N when a duplicate fault sent copies
	Time        time.Time `json:"time"`
	URL         string    `json:"url"`
	HTTPStatus  int       `json:"http_status"`     // 0 when nothing was sent or no answer came
	Reply       string    `json:"reply"`           // the start of the merchant's answer
	Error       string    `json:"error,omitempty"` // transport failure
	Accepted    bool      `json:"accepted"`        // v2: 2xx with the SUCCESS XML; v3: 200 or 204
	Fault       string    `json:"fault,omitempty"` // injected faults applied, comma-separated
}

// deliveryLog keeps the last attempts in a ring, so that a long-running
// simulator's log neither grows without end nor costs a copy per record.
// Guarded by Server.mu.
type deliveryLog struct {
	buf  []Delivery
	next int // where the next record goes once buf is full
}

func (l *deliveryLog) add(d Delivery, limit int) {
	if len(l.buf) < limit {
		l.buf = append(l.buf, d)
		return
	}
	l.buf[l.next] = d
	l.next = (l.next + 1) % limit
}

// list returns the attempts kept, oldest first.
func (l *deliveryLog) list() []Delivery {
	out := make([]Delivery, 0, len(l.buf))
	out = append(out, l.buf[l.next:]...)
	return append(out, l.buf[:l.next]...)
}

// Deliveries returns the last Options.MaxDeliveries notification attempts,
// oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries.list()
}

func (s *Server) record(d Delivery) {
	d.Time = d.Time.In(wxpay.Beijing()) // WeChat's zone, whatever the host's
	s.mu.Lock()
	s.deliveries.add(d, s.opts.MaxDeliveries)
	var saved *savedOrder
	if r := s.refunds[d.OutRefundNo]; r != nil {
		r.delivered = r.delivered || d.Accepted // not saved: a refund's notification is not resumed
	} else if o := s.orders[d.OutTradeNo]; o != nil && d.OutRefundNo == "" {
		o.delivered = o.delivered || d.Accepted
		if d.Attempt >= o.attempts {
			o.attempts, o.lastAttempt = d.Attempt, d.Time
		}
		saved = s.changed(o)
	}
	s.mu.Unlock()
	_ = s.persist(saved) // logged
	s.log.Info("wxpaysim notify", "out_trade_no", d.OutTradeNo, "out_refund_no", d.OutRefundNo, "attempt", d.Attempt, "copy", d.Copy,
		"http_status", d.HTTPStatus, "accepted", d.Accepted, "fault", d.Fault, "error", d.Error)
}
