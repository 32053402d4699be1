package checkout

import (
	"context"
	"fmt"
	"time"

	"wxcheckout/models"
)

// Admin actions on one order.
const (
	ActionSync  = "sync"
	ActionClose = "close"
)

// AdminAction records that an admin asked for action on an order, then runs
// it through the same Sync and Close every other caller uses: the timeline
// shows who asked and, after it, what WeChat said and what changed.
func (s *Service) AdminAction(ctx context.Context, no, action, actor string) (*models.Order, error) {
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return nil, err
	}
	if action != ActionSync && action != ActionClose {
		return o, newError(KindInvalid, msgUnknownAction, nil)
	}
	ev := &models.OrderEvent{Kind: models.EventAdmin, OK: true, Actor: actor,
		Summary: fmt.Sprintf("%s requested %s", actor, action)}
	if err := s.store.AddEvent(ctx, o, ev); err != nil {
		return o, newError(KindInternal, msgInternal, err)
	}
	s.log.Info("admin action", "out_trade_no", no, "action", action, "actor", actor)
	if action == ActionClose {
		return s.Close(ctx, no, actor)
	}
	return s.reload(ctx, no, s.Sync(ctx, no, actor))
}

// SearchOrders is one page of the orders f selects, newest first.
func (s *Service) SearchOrders(ctx context.Context, f models.OrderFilter, offset, limit int) ([]models.Order, error) {
	os, err := s.store.SearchOrders(ctx, f, offset, limit)
	return os, lookupError(err, msgOrderNotFound)
}

// OrderTotals sums up the orders f selects.
func (s *Service) OrderTotals(ctx context.Context, f models.OrderFilter) (models.OrderTotals, error) {
	t, err := s.store.OrderTotals(ctx, f)
	return t, lookupError(err, msgOrderNotFound)
}

// EachOrder calls fn for every order f selects, newest first.
func (s *Service) EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error {
	return s.store.EachOrder(ctx, f, fn)
}

// PaidPerDay sums payments made in [from, to) by Beijing day.
func (s *Service) PaidPerDay(ctx context.Context, from, to time.Time) ([]models.DayTotal, error) {
	ds, err := s.store.PaidPerDay(ctx, from, to)
	return ds, lookupError(err, msgOrderNotFound)
}
