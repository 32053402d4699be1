package checkout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// Payment is a payment reported by WeChat, by notification or by orderquery.
type Payment struct {
	OutTradeNo    string
	TransactionID string
	TotalFee      int64
	PaidAt        time.Time
	OpenID        string
	BankType      string
	Source        string // notify, orderquery, closeorder
	Actor         string
	// Notice is the notification that reported the payment, if one did. It
	// is recorded, with its outcome and our reply, in the same transaction
	// as the payment: a crash cannot keep one without the other.
	Notice *models.OrderEvent
}

// ConfirmPayment is the one path that marks an order paid. Inside one write
// transaction it checks the amount against the order and moves the order to
// PAID at most once: only from a not-yet-paid status, with the UPDATE
// guarded by the status it saw, so any number of concurrent duplicates
// (several notifications, a query racing one) apply it once. A payment for a
// locally closed order is still recorded, and flagged. applied is false for
// a duplicate of a payment already recorded.
func (s *Service) ConfirmPayment(ctx context.Context, p Payment) (o *models.Order, applied bool, err error) {
	if p.PaidAt.IsZero() {
		p.PaidAt = s.now()
	}
	var refused error
	o, applied, err = s.store.UpdateOrder(ctx, p.OutTradeNo, func(cur *models.Order) (map[string]any, []*models.OrderEvent) {
		switch {
		case p.TotalFee != int64(cur.TotalFee):
			refused = newError(KindRefused, "amount mismatch",
				fmt.Errorf("total_fee %d does not match the order's %d", p.TotalFee, cur.TotalFee))
			return nil, s.noticeEvents(p.Notice, refused, "")
		case cur.Status == models.StatusPaid:
			return nil, s.noticeEvents(p.Notice, nil, "verified; duplicate of a recorded payment")
		}
		set := map[string]any{
			"status": models.StatusPaid, "transaction_id": p.TransactionID, "paid_at": p.PaidAt.UTC(),
			"open_id": p.OpenID, "bank_type": p.BankType,
		}
		summary := fmt.Sprintf("%s → PAID by %s, transaction_id %s, ¥%s", cur.Status, p.Source, p.TransactionID, models.Money(p.TotalFee).Yuan())
		if cur.Status != models.StatusNotPay {
			set["flags"] = addFlag(cur.Flags, models.FlagPaidAfterClose)
			summary += fmt.Sprintf(" — paid after the order was %s locally", cur.Status)
		}
		transition := &models.OrderEvent{Kind: models.EventStatus, OK: true, Actor: p.Actor, Summary: summary}
		return set, append([]*models.OrderEvent{transition}, s.noticeEvents(p.Notice, nil, "verified; payment applied")...)
	})
	switch {
	case err != nil && isNotFound(err):
		return nil, false, newError(KindNotFound, "unknown out_trade_no", err)
	case err != nil:
		return nil, false, newError(KindInternal, "internal error", err)
	case refused != nil:
		return o, false, refused
	}
	if applied {
		s.log.Info("order paid", "out_trade_no", o.OutTradeNo, "transaction_id", p.TransactionID, "total_fee", p.TotalFee, "source", p.Source)
		s.changed(o)
	} else if o.TransactionID != p.TransactionID {
		s.log.Error("second payment reported for a paid order", "out_trade_no", o.OutTradeNo,
			"recorded", o.TransactionID, "reported", p.TransactionID)
	}
	return o, applied, nil
}

func addFlag(flags, f string) string {
	if flags == "" {
		return f
	}
	if strings.Contains(","+flags+",", ","+f+",") {
		return flags
	}
	return flags + "," + f
}

// paymentFromQuery turns a paid orderquery reply into a Payment.
func paymentFromQuery(q *wxpay.OrderQueryResponse, actor string) Payment {
	return Payment{OutTradeNo: q.OutTradeNo, TransactionID: q.TransactionID, TotalFee: q.TotalFee,
		PaidAt: q.TimeEnd, OpenID: q.OpenID, BankType: q.BankType, Source: "orderquery", Actor: actor}
}
