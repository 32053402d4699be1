package checkout

import (
	"fmt"
	"testing"

	"wxcheckout/models"
)

func TestStatusViewNeverKeepsAStaleSnapshot(t *testing.T) {
	v := newStatusView(10)
	o := &models.Order{Token: "tok", OutTradeNo: "no", Status: models.StatusNotPay, TotalFee: 100}
	_, gen, ok := v.get("tok")
	if ok {
		t.Fatal("empty view has an entry")
	}
	// A poll read NOTPAY from the database; before it stores it, the
	// payment commits.
	stale := statusOf(o)
	paid := *o
	paid.Status = models.StatusPaid
	v.changed(&paid)
	v.remember("tok", stale, gen)
	if st, _, _ := v.get("tok"); st.Status != models.StatusPaid {
		t.Errorf("view says %s, want PAID: a stale read overwrote the payment", st.Status)
	}
	// Even when the entry was evicted meanwhile, a read begun before a
	// change is not kept.
	v2 := newStatusView(1)
	_, gen, _ = v2.get("tok")
	v2.changed(&paid)
	v2.changed(&models.Order{Token: "other", Status: models.StatusNotPay}) // evicts tok
	v2.remember("tok", stale, gen)
	if st, _, ok := v2.get("tok"); ok && st.Status != models.StatusPaid {
		t.Errorf("view says %s after eviction, want PAID or nothing", st.Status)
	}
}

func TestStatusViewIsBounded(t *testing.T) {
	v := newStatusView(100)
	for i := range 1000 {
		_, gen, _ := v.get(fmt.Sprint(i))
		v.remember(fmt.Sprint(i), OrderStatus{Status: models.StatusNotPay}, gen)
	}
	if n := len(v.m); n > 100 {
		t.Errorf("view holds %d entries, want at most 100", n)
	}
}
