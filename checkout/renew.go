package checkout

import (
	"context"

	"wxcheckout/models"
)

// maxRenewals bounds how far Renew follows a chain of renewed orders.
const maxRenewals = 100

// Renew replaces an expired, closed or failed order with a fresh one for the
// same product and quantity: a new out_trade_no and a new QR. A purchase has
// one payable code at a time: an order renewed before points to its
// successor, and renewing it again leads there while the successor can be
// paid (or shows its receipt once paid) — however often, however many at once.
func (s *Service) Renew(ctx context.Context, token, clientIP, clientKey string) (*models.Order, error) {
	o, err := s.OrderByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !o.Expired(s.now()) {
		return nil, newError(KindConflict, msgStillPayable, nil)
	}
	if o.Gateway() {
		// The merchant's order number names this order; the shop system
		// places a new one.
		return nil, newError(KindConflict, msgGwNotRenewable, nil)
	}
	for range maxRenewals {
		if o.RenewedTo == "" {
			break
		}
		if o, err = s.OrderByOutTradeNo(ctx, o.RenewedTo); err != nil {
			return nil, err
		}
	}
	if !o.Expired(s.now()) {
		return o, nil // the latest of the chain is payable, or paid
	}
	items, err := s.OrderItems(ctx, o)
	if err != nil {
		return nil, err
	}
	lines := make([]Line, len(items))
	for i, it := range items {
		lines[i] = Line{SKU: it.SKU, Quantity: it.Quantity}
	}
	// The buyer told their details once; a renewal keeps them as they were
	// even if the owner asks for other details since.
	next, err := s.draftOrder(ctx, PlaceRequest{Lines: lines, Buyer: o.Buyer, ClientIP: clientIP, ClientKey: clientKey}, true)
	if err != nil {
		return nil, err
	}
	prev, created, err := s.store.CreateSuccessor(ctx, o.OutTradeNo, next, createdEvent(next),
		func(cur models.Order) models.Change { return cur.Renewed(next.OutTradeNo, "shopper") })
	switch {
	case err != nil:
		return nil, storeError(err)
	case !created && prev.RenewedTo == "":
		return prev, nil // paid in the meantime: its receipt
	case !created:
		// Another renewal of the same order won the race: lead to its order.
		return s.OrderByOutTradeNo(ctx, prev.RenewedTo)
	}
	return s.prepay(ctx, next, "shopper")
}
