package checkout

import (
	"context"
	"errors"

	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
)

// Payment is a payment reported by WeChat, by notification or by orderquery.
type Payment struct {
	OutTradeNo string
	models.Payment
	// Notice is the notification that reported the payment, if one did. It
	// is recorded, with its outcome and our reply, in the same transaction
	// as the payment: a crash cannot keep one without the other.
	Notice *models.OrderEvent
}

// ConfirmPayment is the one path that marks an order paid. Inside one write
// transaction it checks the amount against the order and moves the order to
// PAID at most once (models.Order.Pay), with the UPDATE guarded by the
// status it saw, so any number of concurrent duplicates (several
// notifications, a query racing one) apply it once. A payment for a locally
// closed order is still recorded, and flagged. applied is false for a
// duplicate of a payment already recorded.
func (s *Service) ConfirmPayment(ctx context.Context, p Payment) (o *models.Order, applied bool, err error) {
	if p.PaidAt.IsZero() {
		p.PaidAt = s.now()
	}
	if p.TradeNo == "" {
		p.TradeNo = p.OutTradeNo
	}
	var refused error
	decide := func(cur models.Order) models.Change {
		ch, perr := cur.Pay(p.Payment)
		switch {
		case perr != nil:
			refused = refusal(models.RefusalAmountMismatch, perr)
			return ch.Record(s.noticeEvents(p.Notice, refused, "")...)
		case !ch.Changed():
			return ch.Record(s.noticeEvents(p.Notice, nil, "verified; duplicate of a recorded payment")...)
		}
		return ch.Record(s.noticeEvents(p.Notice, nil, "verified; payment applied")...).
			Notify(s.notices(ch.After, models.TypeOrderPaid)...)
	}
	o, applied, err = s.update(ctx, p.OutTradeNo, decide)
	if err != nil && isNotFound(err) {
		// Not the order's own number: one of its further WeChat orders'
		// (SPEC §9) — the payment is the order's all the same.
		if own, lerr := s.store.OrderByTradeNo(ctx, p.OutTradeNo); lerr == nil {
			o, applied, err = s.update(ctx, own.OutTradeNo, decide)
		}
	}
	switch {
	case err != nil && isNotFound(err):
		return nil, false, newError(KindNotFound, msgOrderNotFound, err)
	case err != nil:
		return nil, false, newError(KindInternal, msgInternal, err)
	case refused != nil:
		return o, false, refused
	}
	if applied {
		s.met.Paid(int64(o.TotalFee))
		s.log.Info("order paid", "out_trade_no", o.OutTradeNo, "transaction_id", p.TransactionID, "total_fee", p.TotalFee, "source", p.Source)
	} else if o.TransactionID != p.TransactionID {
		s.log.Error("second payment reported for a paid order", "out_trade_no", o.OutTradeNo, "wechat_order", p.TradeNo,
			"recorded", o.TransactionID, "reported", clip(p.TransactionID))
	}
	return o, applied, nil
}

// update applies a transition to an order and tells the status view and
// the order's watchers of a committed change. When the commit's outcome is
// unknown, the view is refreshed from the database instead of guessed.
func (s *Service) update(ctx context.Context, no string, decide func(models.Order) models.Change) (*models.Order, bool, error) {
	o, applied, err := s.store.UpdateOrder(ctx, no, decide)
	if errors.Is(err, store.ErrUncertain) {
		s.refresh(ctx, no)
	}
	if applied {
		s.changed(o)
		if o.NotifyURL != "" && s.set.Delivered != nil {
			s.set.Delivered()
		}
	}
	return o, applied, err
}

// refresh reads an order back after a write whose outcome is unknown.
func (s *Service) refresh(ctx context.Context, no string) {
	o, err := s.store.OrderByOutTradeNo(context.WithoutCancel(ctx), no)
	if err != nil {
		s.log.Error("refresh after an uncertain commit", "out_trade_no", no, "err", err)
		s.status.reset()
		return
	}
	s.changed(o)
}

// paymentFromQuery turns a paid orderquery reply into a Payment.
func paymentFromQuery(q *wxpay.OrderQueryResponse, actor string) Payment {
	return Payment{OutTradeNo: q.OutTradeNo, Payment: models.Payment{TransactionID: q.TransactionID,
		TotalFee: models.Money(q.TotalFee), PaidAt: q.TimeEnd, OpenID: q.OpenID, BankType: q.BankType,
		Source: "orderquery", Actor: actor}}
}
