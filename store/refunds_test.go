package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

func end(o models.Order, r models.Refund, status models.RefundStatus) models.Change {
	return o.EndRefund(r, status, "wechat")
}

func paidOrder(t *testing.T, st *store.Store, no string) *models.Order {
	t.Helper()
	o := newOpenOrder(t, st, no, "10.0.0.9")
	o, applied, err := st.UpdateOrder(context.Background(), no, func(cur models.Order) models.Change {
		ch, err := cur.Pay(payment(&cur, "4200"+no))
		if err != nil {
			t.Fatal(err)
		}
		return ch
	})
	if err != nil || !applied {
		t.Fatalf("pay %s: %v %v", no, applied, err)
	}
	return o
}

// The money invariant under concurrency: 16 parallel partial refunds whose
// sum is twice the payment reserve exactly the payment, and the rest are
// refused with nothing written.
func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	st := testrig.MustOpenStore(t)
	o := paidOrder(t, st, "REFUND-RACE-1") // 11 600 fen
	const n = 16
	each := o.TotalFee / (n / 2) // 1 450 fen: 8 of them are the payment
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, err := st.CreateRefund(context.Background(), o.OutTradeNo, &models.Refund{
				OutRefundNo: fmt.Sprintf("R%s-%02d", o.OutTradeNo, i), Amount: each, Actor: "test"})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrRefundRefused) && errors.Is(err, models.ErrOverRefundable):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := st.OrderByOutTradeNo(context.Background(), o.OutTradeNo)
	must(t, err)
	rs, err := st.Refunds(context.Background(), o.ID)
	must(t, err)
	var sum models.Money
	for _, r := range rs {
		sum += r.Amount
	}
	if ok.Load() != n/2 || refused.Load() != n/2 || len(rs) != n/2 || sum != o.TotalFee ||
		got.RefundReserved != o.TotalFee || got.RefundCount != n/2 || got.Refundable() != 0 {
		t.Fatalf("%d started, %d refused, %d stored summing ¥%s; order reserved ¥%s, %d refunds",
			ok.Load(), refused.Load(), len(rs), sum.Yuan(), got.RefundReserved.Yuan(), got.RefundCount)
	}
}

func TestRefundEndsOnceAndClosedFreesItsAmount(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	open := newOpenOrder(t, st, "REFUND-UNPAID", "10.0.0.8")
	if _, _, err := st.CreateRefund(ctx, open.OutTradeNo, &models.Refund{OutRefundNo: "RU1", Amount: 1}); !errors.Is(err, models.ErrNotRefundable) {
		t.Fatalf("refund of an unpaid order: %v", err)
	}
	o := paidOrder(t, st, "REFUND-END-1")
	for _, bad := range []models.Money{0, -1, o.TotalFee + 1} {
		if _, _, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: fmt.Sprint("RB", bad), Amount: bad}); !errors.Is(err, store.ErrRefundRefused) {
			t.Errorf("refund of %d: %v", bad, err)
		}
	}
	mno := "M-1"
	_, _, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RE1", MerchantRefundNo: &mno, Amount: 1000})
	must(t, err)
	_, existing, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RE1b", MerchantRefundNo: &mno, Amount: 1000})
	if err != nil || existing == nil || existing.OutRefundNo != "RE1" {
		t.Fatalf("the merchant's refund number again: %+v %v", existing, err)
	}
	_, _, err = st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RE2", Amount: o.TotalFee - 1000})
	must(t, err)
	if _, _, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RE3", Amount: 1}); !errors.Is(err, models.ErrOverRefundable) {
		t.Fatalf("refund beyond the payment: %v", err)
	}
	at := anyDBNow.Add(time.Hour)
	got, _, applied, err := st.EndRefund(ctx, "RE1", models.RefundSuccess, "50300001", at, end)
	if err != nil || !applied || got.Status != models.StatusRefund || got.RefundedFee != 1000 {
		t.Fatalf("SUCCESS: %+v %v %v", got, applied, err)
	}
	if _, _, applied, err := st.EndRefund(ctx, "RE1", models.RefundSuccess, "50300001", at, end); err != nil || applied {
		t.Fatalf("the same SUCCESS again: applied %v, %v", applied, err)
	}
	got, _, applied, err = st.EndRefund(ctx, "RE2", models.RefundClosed, "", at, end)
	if err != nil || !applied || got.RefundReserved != 1000 || got.Status != models.StatusRefund || got.Refundable() != o.TotalFee-1000 {
		t.Fatalf("CLOSED: %+v %v %v", got, applied, err)
	}
	if _, _, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RE4", Amount: o.TotalFee - 1000}); err != nil {
		t.Fatalf("refund of the amount a CLOSED refund freed: %v", err)
	}
	got, _, _, err = st.EndRefund(ctx, "RE4", models.RefundAbnormal, "", at, end)
	if err != nil || !got.HasFlag(models.FlagRefundAbnormal) || got.RefundReserved != o.TotalFee {
		t.Fatalf("ABNORMAL: %+v %v", got, err)
	}
	// A duplicate payment report on a refunded order is a duplicate, not a second payment.
	_, applied, err = st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
		ch, _ := cur.Pay(payment(&cur, "4200"+o.OutTradeNo))
		return ch
	})
	if err != nil || applied {
		t.Fatalf("payment reported again after a refund: applied %v, %v", applied, err)
	}
}

// The admin's totals and 30-day chart count a refunded order as paid, net
// of what was refunded.
func TestRefundedOrdersCountNetInTotalsAndChart(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := paidOrder(t, st, "REFUND-NET-1") // 11 600 fen, paid at anyDBNow+2m
	_, _, err := st.CreateRefund(ctx, o.OutTradeNo, &models.Refund{OutRefundNo: "RN1", Amount: 1600})
	must(t, err)
	_, _, _, err = st.EndRefund(ctx, "RN1", models.RefundSuccess, "5030", anyDBNow.Add(time.Hour), end)
	must(t, err)
	days, err := st.PaidPerDay(ctx, anyDBNow.Add(-24*time.Hour), anyDBNow.Add(24*time.Hour))
	must(t, err)
	if len(days) != 1 || days[0].Count != 1 || days[0].PaidFee != 10000 {
		t.Fatalf("chart %+v, want one order of ¥100.00 net", days)
	}
	tot, err := st.OrderTotals(ctx, models.OrderFilter{})
	must(t, err)
	if tot.PaidFee != 10000 {
		t.Fatalf("totals %+v, want ¥100.00 received net", tot)
	}
}
