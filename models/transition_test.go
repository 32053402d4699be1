package models

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var at = time.Date(2026, 11, 22, 18, 5, 0, 0, time.FixedZone("CST", 8*3600))

func order(st OrderStatus) Order {
	return Order{OutTradeNo: "202611221000001234", Status: st, TotalFee: 5800, Prepay: PrepayDone}
}

func payment(fee Money) Payment {
	return Payment{TransactionID: "4200000001", TotalFee: fee, PaidAt: at, Source: "notify", Actor: "wechat"}
}

func TestPay(t *testing.T) {
	tests := []struct {
		name        string
		from        OrderStatus
		fee         Money
		wantChanged bool
		wantErr     error
		wantFlag    string
	}{
		{"unpaid", StatusNotPay, 5800, true, nil, ""},
		{"duplicate", StatusPaid, 5800, false, nil, ""},
		{"closed locally", StatusClosed, 5800, true, nil, FlagPaidAfterClose},
		{"failed locally", StatusFailed, 5800, true, nil, FlagPaidAfterClose},
		{"wrong amount", StatusNotPay, 1, false, ErrAmountMismatch, ""},
		{"wrong amount of a paid order", StatusPaid, 1, false, ErrAmountMismatch, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order(tt.from)
			ch, err := o.Pay(payment(tt.fee))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if ch.Changed() != tt.wantChanged {
				t.Fatalf("changed = %v, want %v", ch.Changed(), tt.wantChanged)
			}
			if o.Status != tt.from {
				t.Error("Pay changed the order it was called on")
			}
			if !tt.wantChanged {
				if len(ch.Events) != 0 || ch.After.Status != tt.from {
					t.Errorf("an unchanged order got %+v", ch)
				}
				return
			}
			a := ch.After
			if a.Status != StatusPaid || a.TransactionID != "4200000001" || a.PaidAt == nil || a.PaidAt.Location() != time.UTC ||
				!a.PaidAt.Equal(at) {
				t.Errorf("after = %s %q paid %v, want PAID at %v in UTC", a.Status, a.TransactionID, a.PaidAt, at)
			}
			if got := a.HasFlag(FlagPaidAfterClose); got != (tt.wantFlag != "") || (tt.wantFlag != "") != slices.Contains(ch.Columns, "flags") {
				t.Errorf("flag paid_after_close = %v, columns %v", got, ch.Columns)
			}
			if len(ch.Events) != 1 || ch.Events[0].Kind != EventStatus {
				t.Errorf("events = %+v, want one status change", ch.Events)
			}
		})
	}
}

func TestCloseNeverTouchesAPaidOrder(t *testing.T) {
	for _, st := range []OrderStatus{StatusPaid, StatusClosed, StatusFailed} {
		if ch := order(st).Close(Closing{Reason: "expired", Actor: "reconciler", At: at}); ch.Changed() {
			t.Errorf("Close of a %s order changes it: %+v", st, ch)
		}
	}
	ch := order(StatusNotPay).Close(Closing{Reason: "gone", Actor: "reconciler", Flag: FlagNotAtWeChat, At: at})
	a := ch.After
	if a.Status != StatusClosed || a.ClosedAt == nil || a.ClosedAt.Location() != time.UTC || !a.HasFlag(FlagNotAtWeChat) || a.FailReason != "gone" {
		t.Errorf("after = %+v, want CLOSED in UTC, flagged with the reason", a)
	}
	if len(ch.Events) != 1 || ch.Events[0].OK {
		t.Errorf("a flagged close is recorded as %+v, want one entry marked not OK", ch.Events)
	}
}

func TestFailAndPrepaidOnlyFromNotPay(t *testing.T) {
	if ch := order(StatusPaid).Fail("x", "shopper"); ch.Changed() {
		t.Error("Fail changes a paid order")
	}
	if ch := order(StatusClosed).Prepaid("weixin://x", "wx1"); ch.Changed() {
		t.Error("Prepaid changes a closed order")
	}
	if a := order(StatusNotPay).Fail("refused", "shopper").After; a.Status != StatusFailed || a.Prepay != PrepayFailed || a.FailReason != "refused" {
		t.Errorf("after Fail = %+v", a)
	}
	if a := order(StatusNotPay).Prepaid("weixin://x", "wx1").After; a.CodeURL != "weixin://x" || a.Prepay != PrepayDone {
		t.Errorf("after Prepaid = %+v", a)
	}
}

func TestRenewedOnce(t *testing.T) {
	o := order(StatusClosed)
	ch := o.Renewed("NEXT0001", "shopper")
	if !ch.Changed() || ch.After.RenewedTo != "NEXT0001" {
		t.Fatalf("first renewal = %+v", ch)
	}
	if again := ch.After.Renewed("NEXT0002", "shopper"); again.Changed() {
		t.Error("an order renewed before is renewed again")
	}
	if paid := order(StatusPaid).Renewed("NEXT0003", "shopper"); paid.Changed() {
		t.Error("a paid order is renewed")
	}
}

func TestTradeState(t *testing.T) {
	tests := []struct {
		s                    TradeState
		paid, closed, isOpen bool
	}{
		{TradeSuccess, true, false, false}, {TradeRefund, true, false, false},
		{TradeClosed, false, true, false}, {TradeRevoked, false, true, false},
		{TradeNotPay, false, false, true}, {TradeUserPaying, false, false, true}, {TradePayError, false, false, true},
		{"SOMETHING_NEW", false, false, true},
	}
	for _, tt := range tests {
		if tt.s.Paid() != tt.paid || tt.s.Closed() != tt.closed || tt.s.Open() != tt.isOpen {
			t.Errorf("%s: paid %v closed %v open %v, want %v %v %v", tt.s, tt.s.Paid(), tt.s.Closed(), tt.s.Open(), tt.paid, tt.closed, tt.isOpen)
		}
	}
}
