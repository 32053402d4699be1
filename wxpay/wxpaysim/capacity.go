package wxpaysim

import "time"

// finished: paid, closed, or past the time it could be paid. Such an order
// can go when the simulator is full; an open one cannot, or its shopper
// could no longer pay. Guarded by s.mu.
func (o *order) finished(now time.Time) bool { return o.payable(now) != nil }

// makeRoom evicts the oldest finished orders when the simulator holds
// Options.MaxOrders, and reports whether a new order now fits. It frees a
// hundredth of the cap at a time, so that a full simulator walks its orders
// once per batch of new ones, not once per order. Guarded by s.mu.
func (s *Server) makeRoom(now time.Time) (evicted []string, ok bool) {
	limit := s.opts.MaxOrders
	if len(s.orders) < limit {
		return nil, true
	}
	need := len(s.orders) - limit + max(1, limit/100)
	kept := s.created[:0]
	for _, o := range s.created {
		if need > 0 && o.finished(now) {
			s.forget(o)
			evicted = append(evicted, o.outTradeNo())
			need--
			continue
		}
		kept = append(kept, o)
	}
	clear(s.created[len(kept):]) // let the evicted orders be collected
	s.created = kept
	return evicted, len(s.orders) < limit
}

// forget drops o from every index but the creation list. Guarded by s.mu.
func (s *Server) forget(o *order) {
	delete(s.orders, o.outTradeNo())
	delete(s.byCode, o.codeURL)
	delete(s.byPrepay, o.prepayID)
	if o.transactionID != "" {
		delete(s.byTxn, o.transactionID)
	}
	for _, r := range o.refunds {
		delete(s.refunds, r.outRefundNo)
	}
}
