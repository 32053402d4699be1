package handlers_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// One purchase has one payable code at a time: pressing "renew" on an
// expired page again, or many times at once, leads to the same successor.
func TestRenewLeadsToTheSuccessor(t *testing.T) {
	r := testrig.New(t, testrig.Options{CheckoutRate: 1000}) // the rate is TestRenewSharesTheCheckoutRate's
	b, csrf := shopper(t, r)
	o := orderByLocation(t, r, buy(t, r, b, url.Values{"csrf_token": {csrf}, "sku": {"COFFEE"}, "qty": {"1"}}))
	r.Clock.Advance(16 * time.Minute)
	before := r.CountRows(t, "orders")
	renew := func() *http.Response {
		resp, err := b.PostForm(r.App.URL+"/pay/"+o.Token+"/renew", url.Values{"csrf_token": {csrf}})
		if err != nil {
			t.Error(err)
			return nil
		}
		testrig.ReadAll(t, resp)
		return resp
	}
	const n = 12
	locations := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := renew()
			switch {
			case resp == nil:
			case resp.StatusCode == http.StatusSeeOther:
				locations <- resp.Header.Get("Location")
			case resp.StatusCode != http.StatusTooManyRequests:
				t.Errorf("renew = %d, want 303 (or 429 over the rate)", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(locations)
	seen := map[string]bool{}
	for l := range locations {
		seen[l] = true
	}
	if len(seen) != 1 {
		t.Fatalf("parallel renews led to %v, want one successor", seen)
	}
	if got := r.CountRows(t, "orders") - before; got != 1 {
		t.Fatalf("parallel renews created %d orders, want 1", got)
	}
	succ := r.Order(t, r.Order(t, o.OutTradeNo).RenewedTo)
	for l := range seen {
		if l != "/pay/"+succ.Token {
			t.Errorf("renew led to %s, want the successor's page", l)
		}
	}
	// Later, again: still the successor while it can be paid.
	r.Clock.Advance(time.Minute) // and the checkout rate has refilled
	if resp := renew(); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+succ.Token {
		t.Errorf("renew again = %d to %q, want 303 to the successor", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Once the successor has expired too, renewing the first page makes the
	// next order, chained after the successor.
	r.Clock.Advance(16 * time.Minute)
	resp := renew()
	third := r.Order(t, r.Order(t, succ.OutTradeNo).RenewedTo)
	if resp.Header.Get("Location") != "/pay/"+third.Token || third.Status != models.StatusNotPay {
		t.Errorf("renew after the successor expired led to %q, want a third order %s", resp.Header.Get("Location"), third.OutTradeNo)
	}
}
