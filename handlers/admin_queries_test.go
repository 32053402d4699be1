package handlers_test

import (
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
)

// The reconciler's unchanged queries are a count on the order, not
// timeline entries: the order page says how many and when the last was.
func TestAdminOrderPageShowsQueryCount(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	for range 3 {
		r.Clock.Advance(r.Order(t, o.OutTradeNo).NextQueryAt.Sub(r.Clock.Now()))
		r.Svc.ReconcileOnce(t.Context(), 1, 10)
	}
	last := r.Clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders/"+o.OutTradeNo)
	i := strings.Index(p.Body, `id="queries"`)
	if p.Status != 200 || i < 0 {
		t.Fatalf("order page %d without the query count", p.Status)
	}
	if dd := p.Body[i:min(len(p.Body), i+300)]; !strings.Contains(dd, ">3 · ") || !strings.Contains(dd, last+" NOTPAY") {
		t.Errorf("query count %q, want 3 queries, the last at %s NOTPAY", dd, last)
	}
}
