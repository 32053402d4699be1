package handlers

import (
	"fmt"
	"testing"
	"time"
)

func TestClientRatesRefillAndForget(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := newClientRates(20, 5, func() time.Time { return now })
	for i := range 5 {
		if !r.allow("a") {
			t.Fatalf("token %d refused, want a burst of 5", i+1)
		}
	}
	if r.allow("a") || !r.exhausted("a") {
		t.Fatal("6th token allowed, or the bucket does not say it is empty")
	}
	if r.exhausted("b") || !r.allow("b") {
		t.Error("another client is limited")
	}
	now = now.Add(3 * time.Second)
	if r.exhausted("a") || !r.allow("a") || r.allow("a") {
		t.Error("after 3 s, want exactly one more token")
	}
	if got := r.size(); got != 2 {
		t.Errorf("%d buckets, want 2", got)
	}
	now = now.Add(15 * time.Second) // 5 tokens at 20 a minute: full again, and forgotten
	r.allow("c")
	if got := r.size(); got != 1 {
		t.Errorf("%d buckets after the others filled up, want 1", got)
	}
}

func TestClientRatesStayBounded(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := newClientRates(20, 5, func() time.Time { return now })
	r.max = 100
	for i := range 1000 {
		r.allow(fmt.Sprintf("198.51.100.%d/%d", i%256, i))
	}
	if got := r.size(); got != 100 {
		t.Errorf("%d buckets after 1000 clients, want the cap of 100", got)
	}
	for range 5 {
		r.allow("last")
	}
	if r.allow("last") {
		t.Error("the newest client's bucket was evicted instead of the oldest")
	}
}

func TestClientRatesBurstNeverAboveTheRate(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := newClientRates(2, 5, func() time.Time { return now })
	if !r.allow("a") || !r.allow("a") || r.allow("a") {
		t.Error("at 2 a minute, want a burst of 2")
	}
}
