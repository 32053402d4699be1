package models

import (
	"errors"
	"fmt"
	"time"
)

// StatusRefund is a paid order with at least one successful refund (SPEC
// §8). It was paid: Paid reports true for it.
const StatusRefund OrderStatus = "REFUND"

// MaxRefunds is the most refunds one order may have (WeChat's limit).
const MaxRefunds = 50

// RefundStatus is where a refund stands. PROCESSING: WeChat accepted it,
// or we do not know yet whether it did; the others are final.
type RefundStatus string

const (
	RefundProcessing RefundStatus = "PROCESSING"
	RefundSuccess    RefundStatus = "SUCCESS"
	RefundClosed     RefundStatus = "CLOSED"   // WeChat gave up: the amount is free again
	RefundAbnormal   RefundStatus = "ABNORMAL" // stuck at WeChat: the admin must act
)

// Final reports whether WeChat will not change the refund any more.
func (s RefundStatus) Final() bool { return s != RefundProcessing }

// FlagRefundAbnormal marks an order with a refund WeChat reports ABNORMAL.
const FlagRefundAbnormal = "refund_abnormal"

// Refund is money given back from a paid order: ours is OutRefundNo (what
// WeChat gets; sending it again is idempotent there), WeChat's RefundID.
// It is created in the same transaction that reserves its amount on the
// order (Order.StartRefund), so refunds never add up to more than was
// paid, whatever runs concurrently.
type Refund struct {
	ID          uint   `gorm:"primaryKey"`
	OrderID     uint   `gorm:"not null;index;uniqueIndex:idx_refunds_merchant,priority:1"`
	Order       *Order `gorm:"constraint:OnDelete:CASCADE"`
	OutTradeNo  string `gorm:"size:32;not null"`
	OutRefundNo string `gorm:"size:64;not null;uniqueIndex"`
	// MerchantRefundNo is a gateway merchant's own refund number (the API's
	// out_refund_no): a repeat with it is the same refund.
	MerchantRefundNo *string      `gorm:"size:64;uniqueIndex:idx_refunds_merchant,priority:2"`
	RefundID         string       `gorm:"size:64"`
	Amount           Money        `gorm:"not null"`
	Reason           string       `gorm:"size:80"`
	Status           RefundStatus `gorm:"size:12;not null;index:idx_refunds_due,priority:1"`
	// NextQueryAt is when the reconciler next asks WeChat about a
	// PROCESSING refund (or resends one whose outcome is unknown).
	NextQueryAt time.Time `gorm:"index:idx_refunds_due,priority:2"`
	Queries     int       `gorm:"not null;default:0"`
	Actor       string    `gorm:"size:64"`
	SucceededAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Errors of refund transitions; checkout gives them message keys.
var (
	ErrNotRefundable  = errors.New("the order was not paid")
	ErrRefundAmount   = errors.New("the refund amount must be more than zero")
	ErrOverRefundable = errors.New("the refund is more than what remains refundable")
	ErrTooManyRefunds = errors.New("the order has as many refunds as WeChat allows")
)

// Refundable is what may still be refunded: paid, less the refunds that
// are not CLOSED.
func (o *Order) Refundable() Money { return o.TotalFee - o.RefundReserved }

// StartRefund reserves r's amount on the order, or says why it may not:
// the order was not paid, the amount is not more than zero, it is more
// than what remains refundable, or the order has MaxRefunds already.
func (o Order) StartRefund(r *Refund) (Change, error) {
	switch {
	case !o.Status.Paid():
		return unchanged(o), fmt.Errorf("%w: it is %s", ErrNotRefundable, o.Status)
	case r.Amount <= 0:
		return unchanged(o), ErrRefundAmount
	case r.Amount > o.Refundable():
		return unchanged(o), fmt.Errorf("%w: ¥%s asked, ¥%s refundable", ErrOverRefundable, r.Amount.Yuan(), o.Refundable().Yuan())
	case o.RefundCount >= MaxRefunds:
		return unchanged(o), ErrTooManyRefunds
	}
	after := o
	after.RefundReserved += r.Amount
	after.RefundCount++
	return Change{After: after, Columns: []string{"refund_reserved", "refund_count"},
		Events: []*OrderEvent{{Kind: EventRefund, OK: true, Actor: r.Actor,
			Summary: fmt.Sprintf("refund %s of ¥%s started: %s", r.OutRefundNo, r.Amount.Yuan(), r.Reason)}}}, nil
}

// EndRefund applies a refund's final state to the order: SUCCESS counts it
// as refunded (the order becomes REFUND); CLOSED frees its amount;
// ABNORMAL keeps it reserved and flags the order for the admin. r is the
// refund as it was (PROCESSING); a refund already final changes nothing.
func (o Order) EndRefund(r Refund, status RefundStatus, actor string) Change {
	if r.Status.Final() || !status.Final() {
		return unchanged(o)
	}
	after := o
	var cols []string
	switch status {
	case RefundSuccess:
		after.RefundedFee += r.Amount
		after.Status = StatusRefund
		cols = []string{"refunded_fee", "status"}
	case RefundClosed:
		after.RefundReserved -= r.Amount
		cols = []string{"refund_reserved"}
	case RefundAbnormal:
		after.Flags = o.withFlag(FlagRefundAbnormal)
		cols = []string{"flags"}
	}
	return Change{After: after, Columns: cols, Events: []*OrderEvent{{Kind: EventRefund, OK: status != RefundAbnormal,
		Actor: actor, Summary: fmt.Sprintf("refund %s of ¥%s: %s", r.OutRefundNo, r.Amount.Yuan(), status)}}}
}
