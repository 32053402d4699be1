package models

import (
	"errors"
	"testing"
)

func TestStartRefundRules(t *testing.T) {
	paid := Order{Status: StatusPaid, TotalFee: 1000}
	cases := []struct {
		name string
		o    Order
		amt  Money
		want error
	}{
		{"unpaid", Order{Status: StatusNotPay, TotalFee: 1000}, 1, ErrNotRefundable},
		{"closed", Order{Status: StatusClosed, TotalFee: 1000}, 1, ErrNotRefundable},
		{"zero", paid, 0, ErrRefundAmount},
		{"negative", paid, -1, ErrRefundAmount},
		{"over", paid, 1001, ErrOverRefundable},
		{"over what remains", Order{Status: StatusRefund, TotalFee: 1000, RefundReserved: 900, RefundCount: 1}, 101, ErrOverRefundable},
		{"a 51st", Order{Status: StatusPaid, TotalFee: 1000, RefundCount: MaxRefunds}, 1, ErrTooManyRefunds},
	}
	for _, c := range cases {
		ch, err := c.o.StartRefund(&Refund{OutRefundNo: "R1", Amount: c.amt})
		if !errors.Is(err, c.want) || ch.Changed() {
			t.Errorf("%s: %v (changed %v), want %v", c.name, err, ch.Changed(), c.want)
		}
	}
	ch, err := paid.StartRefund(&Refund{OutRefundNo: "R1", Amount: 1000})
	if err != nil || ch.After.RefundReserved != 1000 || ch.After.RefundCount != 1 || ch.After.Refundable() != 0 {
		t.Fatalf("a full refund: %+v %v", ch.After, err)
	}
	// A final refund is not ended again; CLOSED gives the amount back.
	after := ch.After
	r := Refund{OutRefundNo: "R1", Amount: 1000, Status: RefundProcessing}
	if c := after.EndRefund(r, RefundClosed, "wechat"); c.After.Refundable() != 1000 || c.After.Status != StatusPaid {
		t.Errorf("CLOSED: %+v", c.After)
	}
	r.Status = RefundSuccess
	if c := after.EndRefund(r, RefundSuccess, "wechat"); c.Changed() {
		t.Errorf("a refund already SUCCESS ended again")
	}
}
