package checkout

import (
	"context"
	"sync"
	"time"

	"wxcheckout/models"
)

// OrderStatus is what a waiting payment page needs of its order.
type OrderStatus struct {
	OutTradeNo string
	Status     models.OrderStatus
	TotalFee   models.Money
	// RefundedFee is the sum of the order's successful refunds.
	RefundedFee models.Money
	ExpiresAt   time.Time
}

// Expired reports whether the QR can no longer be paid.
func (st OrderStatus) Expired(now time.Time) bool {
	o := models.Order{Status: st.Status, ExpiresAt: st.ExpiresAt}
	return o.Expired(now)
}

// statusView answers status polls from memory. Every poll of every open
// payment page lands here, once a second, and only a payment, a close or a
// failure changes the answer — all of them made by this service, which
// updates the view as it commits them (changed). A snapshot read from the
// database is kept only if no order changed while it was read, so a slow
// read can never put an older status over a newer one.
type statusView struct {
	mu  sync.RWMutex
	gen uint64 // counts changes
	max int
	m   map[string]OrderStatus // by token
}

func newStatusView(max int) *statusView {
	return &statusView{max: max, m: make(map[string]OrderStatus)}
}

func (v *statusView) get(token string) (OrderStatus, uint64, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	st, ok := v.m[token]
	return st, v.gen, ok
}

// remember keeps a snapshot read while the view was at generation gen.
func (v *statusView) remember(token string, st OrderStatus, gen uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.gen != gen {
		return // something changed during the read: this snapshot may be stale
	}
	v.put(token, st)
}

// changed records an order's new status as it commits.
func (v *statusView) changed(o *models.Order) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	v.put(o.Token, statusOf(o))
}

// reset forgets every status, when one can no longer be trusted.
func (v *statusView) reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	clear(v.m)
}

func (v *statusView) put(token string, st OrderStatus) {
	if _, ok := v.m[token]; !ok && len(v.m) >= v.max {
		for k := range v.m { // evict an arbitrary entry; a miss just reads the database
			delete(v.m, k)
			break
		}
	}
	v.m[token] = st
}

func statusOf(o *models.Order) OrderStatus {
	return OrderStatus{OutTradeNo: o.OutTradeNo, Status: o.Status, TotalFee: o.TotalFee, RefundedFee: o.RefundedFee, ExpiresAt: o.ExpiresAt}
}

// StatusByToken is the order's status for its payment page: from memory
// when the service has it, from the database otherwise. It never calls
// WeChat; the reconciler does that.
func (s *Service) StatusByToken(ctx context.Context, token string) (OrderStatus, error) {
	st, gen, ok := s.status.get(token)
	if ok {
		return st, nil
	}
	o, err := s.OrderByToken(ctx, token)
	if err != nil {
		return OrderStatus{}, err
	}
	st = statusOf(o)
	s.status.remember(token, st, gen)
	return st, nil
}

// changed is called after every committed change of an order's status:
// the status view and the watchers of the order learn of it.
func (s *Service) changed(o *models.Order) {
	s.status.changed(o)
	s.broker.Publish(o.OutTradeNo, o.Status)
}
