package models

import (
	"errors"
	"fmt"
	"time"
)

// Change is what a transition does to an order: the order as it is after,
// the columns that change (none: the order stays as it is), and the
// timeline entries to record with it in the same transaction. Deliveries
// are merchant notifications the change owes (a gateway order turning
// PAID): they are written only when the change applies, in its transaction.
//
// Transitions are pure: they decide from the order as it is inside the
// write transaction, and the store writes the change with an UPDATE guarded
// by the status they saw, so of N racing transitions exactly one applies.
type Change struct {
	After   Order
	Columns []string
	Events  []*OrderEvent
	// Deliveries are written only if the change applies.
	Deliveries []*Delivery
	// Stock is what the change does to the stock of the order's stocked
	// items, applied by the store in the same transaction.
	Stock StockMove
}

// StockMove is a change of the stock an order holds.
type StockMove int

const (
	StockKeep StockMove = iota
	// StockTake takes the order's quantities again: a payment of an order
	// that had given its stock back (paid after it was closed). Stock
	// never goes below zero; a shortfall flags the order FlagOversold.
	StockTake
	// StockGiveBack returns the quantities an unpaid order held.
	StockGiveBack
	// StockPassOn hands what the order held to its successor (a renewal).
	StockPassOn
)

// FlagOversold: a payment came for goods whose stock had run out meanwhile
// (the order had given its stock back, then was paid).
const FlagOversold = "oversold"

// Changed reports whether there is anything to write to the order.
func (c Change) Changed() bool { return len(c.Columns) > 0 }

// Record adds timeline entries to the change.
func (c Change) Record(evs ...*OrderEvent) Change {
	c.Events = append(c.Events, evs...)
	return c
}

// Notify adds merchant notifications owed if the change applies.
func (c Change) Notify(ds ...*Delivery) Change {
	c.Deliveries = append(c.Deliveries, ds...)
	return c
}

func unchanged(o Order) Change { return Change{After: o} }

func statusEvent(actor string, ok bool, format string, args ...any) *OrderEvent {
	return &OrderEvent{Kind: EventStatus, OK: ok, Actor: actor, Summary: fmt.Sprintf(format, args...)}
}

// Payment is a payment WeChat reported, by notification or by query.
type Payment struct {
	// TradeNo is the out_trade_no of the WeChat order paid: the order's own
	// or one of its WxOrders'. Empty means the order's own.
	TradeNo       string
	TransactionID string
	TotalFee      Money
	PaidAt        time.Time
	OpenID        string
	BankType      string
	Source        string // notify, orderquery, closeorder
	Actor         string
}

// ErrAmountMismatch: WeChat reports a payment of another amount than the order's.
var ErrAmountMismatch = errors.New("amount mismatch")

// Pay records a payment: NOTPAY → PAID, at most once. A payment of a
// locally closed or failed order is still recorded, and flagged; a payment
// of a paid order is a duplicate and changes nothing. A payment of another
// amount is refused.
func (o Order) Pay(p Payment) (Change, error) {
	if p.TotalFee != o.TotalFee {
		return unchanged(o), fmt.Errorf("%w: total_fee %d does not match the order's %d", ErrAmountMismatch, p.TotalFee, o.TotalFee)
	}
	tradeNo := p.TradeNo
	if tradeNo == "" {
		tradeNo = o.OutTradeNo
	}
	if o.Status.Paid() {
		if tradeNo == o.WeChatTradeNo() || p.TransactionID == "" || p.TransactionID == o.TransactionID {
			return unchanged(o), nil
		}
		// Another WeChat order of this order was paid too: the shopper paid
		// twice. The order stays paid once; the second payment is flagged
		// for the admin to refund at WeChat.
		after := o
		after.Flags = o.withFlag(FlagSecondPayment)
		return Change{After: after, Columns: []string{"flags"}, Events: []*OrderEvent{statusEvent(p.Actor, false,
			"second payment reported by %s: WeChat order %s, transaction_id %s, ¥%s — the order was already paid by %s; refund it at WeChat",
			p.Source, tradeNo, p.TransactionID, p.TotalFee.Yuan(), o.TransactionID)}}, nil
	}
	after := o
	paidAt := p.PaidAt.UTC()
	after.Status, after.TransactionID, after.PaidAt = StatusPaid, p.TransactionID, &paidAt
	after.OpenID, after.BankType, after.QueryAnomalies = p.OpenID, p.BankType, 0
	after.PaidTradeNo = tradeNo
	cols := []string{"status", "transaction_id", "paid_at", "open_id", "bank_type", "query_anomalies", "paid_trade_no"}
	if !o.Gateway() && o.Fulfilment == FulfilNone {
		after.Fulfilment = FulfilToShip // the shop's goods: the owner hands them over
		cols = append(cols, "fulfilment")
	}
	summary := fmt.Sprintf("%s → PAID by %s, transaction_id %s, ¥%s", o.Status, p.Source, p.TransactionID, p.TotalFee.Yuan())
	if tradeNo != o.OutTradeNo {
		summary += " (WeChat order " + tradeNo + ")"
	}
	if o.Status != StatusNotPay {
		after.Flags = o.withFlag(FlagPaidAfterClose)
		cols = append(cols, "flags")
		summary += fmt.Sprintf(" — paid after the order was %s locally", o.Status)
	}
	ch := Change{After: after, Columns: cols, Events: []*OrderEvent{statusEvent(p.Actor, true, "%s", summary)}}
	if !o.StockHeld && (o.Status != StatusNotPay || o.RenewedTo != "") {
		// It gave its stock back when it ended, or passed it on to its
		// renewal (which keeps it while it can be paid): the goods of this
		// payment are taken again; the store marks the order as holding.
		ch.Stock = StockTake
	}
	return ch, nil
}

// Prepaid records WeChat's answer to the order's placement: the code to pay.
func (o Order) Prepaid(codeURL, prepayID string) Change {
	if o.Status != StatusNotPay {
		return unchanged(o)
	}
	after := o
	after.CodeURL, after.PrepayID, after.Prepay = codeURL, prepayID, PrepayDone
	return Change{After: after, Columns: []string{"code_url", "prepay_id", "prepay"}}
}

// Fail ends an order whose placement WeChat refused: NOTPAY → FAILED.
func (o Order) Fail(reason, actor string) Change {
	if o.Status != StatusNotPay {
		return unchanged(o)
	}
	after := o
	after.Status, after.Prepay, after.FailReason = StatusFailed, PrepayFailed, reason
	return after.givingBack(Change{After: after, Columns: []string{"status", "prepay", "fail_reason"},
		Events: []*OrderEvent{statusEvent(actor, false, "%s → %s: %s", o.Status, StatusFailed, reason)}})
}

// Closing says why and by whom an order is closed; Flag, when set, marks
// the order for the admin.
type Closing struct {
	Reason string
	Actor  string
	Flag   string
	At     time.Time
}

// Close ends an unpaid order: NOTPAY → CLOSED. It never touches a paid one.
func (o Order) Close(c Closing) Change {
	if o.Status != StatusNotPay {
		return unchanged(o)
	}
	after := o
	at := c.At.UTC()
	after.Status, after.ClosedAt = StatusClosed, &at
	cols := []string{"status", "closed_at"}
	if c.Flag != "" {
		after.Flags, after.FailReason = o.withFlag(c.Flag), c.Reason
		cols = append(cols, "flags", "fail_reason")
	}
	return after.givingBack(Change{After: after, Columns: cols,
		Events: []*OrderEvent{statusEvent(c.Actor, c.Flag == "", "%s → CLOSED: %s", o.Status, c.Reason)}})
}

// givingBack makes a change that ends an unpaid order give back the stock
// it held.
func (o Order) givingBack(ch Change) Change {
	if !o.StockHeld {
		return ch
	}
	ch.After.StockHeld = false
	ch.Columns = append(ch.Columns, "stock_held")
	ch.Stock = StockGiveBack
	return ch
}

// Renewed points an order that can no longer be paid to the order that
// replaces it, once: a purchase has one payable successor at a time.
func (o Order) Renewed(successor, actor string) Change {
	if o.RenewedTo != "" || o.Status.Paid() {
		return unchanged(o)
	}
	after := o
	after.RenewedTo = successor
	ch := Change{After: after, Columns: []string{"renewed_to"},
		Events: []*OrderEvent{{Kind: EventRenew, OK: true, Actor: actor, Summary: "renewed as " + successor}}}
	if o.StockHeld && o.Status.Open() {
		ch.After.StockHeld = false
		ch.Columns = append(ch.Columns, "stock_held")
		ch.Stock = StockPassOn
	}
	return ch
}

func (o Order) withFlag(f string) string {
	if o.HasFlag(f) {
		return o.Flags
	}
	if o.Flags == "" {
		return f
	}
	return o.Flags + "," + f
}
