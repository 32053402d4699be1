package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/internal/loadkit"
)

// TestCrashOfOneOfSeveralInstances is issue 11's crash proof. Three
// instances share one PostgreSQL behind a proxy that skips an instance it
// knows is gone (a load balancer's health check). 20 shoppers, spread over
// the instances, place 200 orders and pay most of them; one instance is
// killed with SIGKILL after 90 orders, checkouts in flight, and stays
// down: its shoppers go on at the others, and the others take over its
// work. Every order WeChat considers paid must be PAID within 60 s, once;
// every other order NOTPAY, CLOSED or FAILED with a reason.
func TestCrashOfOneOfSeveralInstances(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	m := newMultiRig(t, ctx, 3)
	stats := loadkit.NewStats()
	var (
		placed   atomic.Int64
		mu       sync.Mutex
		tokens   = map[string]string{} // code_url → token
		lastPaid time.Time
	)
	// alive is an instance's URL for shopper n, skipping the killed one.
	alive := func(n int) string {
		for k := range len(m.urls) {
			if i := (n + k) % len(m.urls); !m.dead[i].Load() {
				return m.urls[i]
			}
		}
		t.Fatal("no instance alive")
		return ""
	}
	// retry repeats f while the shopper's instance does not answer,
	// moving the shopper to a living one.
	retry := func(s *loadkit.Shopper, n int, f func() error) error {
		for {
			err := f()
			var he *loadkit.HTTPError
			if err == nil || errors.As(err, &he) || ctx.Err() != nil {
				return err
			}
			s.Base = alive(n)
			time.Sleep(50 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	for client := range crashShoppers {
		wg.Go(func() {
			s := loadkit.NewShopper(m.urls[client%3], nil, stats)
			s.IP = loadkit.ShopperIP(client)
			for i := range crashPerClient {
				n := client*crashPerClient + i
				var token, scan string
				err := retry(s, client, func() (err error) { token, err = s.Checkout(ctx, "PENNY", 1+n%3); return err })
				if err == nil {
					err = retry(s, client, func() (err error) { scan, err = s.ScanURL(ctx, token); return err })
				}
				if err == nil {
					mu.Lock()
					tokens[loadkit.CodeURL(scan)] = token
					mu.Unlock()
					placed.Add(1)
					switch fate := n % 10; {
					case fate == 1:
						err = s.Cancel(ctx, scan)
					case fate >= 2:
						err = s.Pay(ctx, scan)
						mu.Lock()
						lastPaid = time.Now()
						mu.Unlock()
					}
				}
				if err != nil {
					t.Errorf("shopper %d order %d: %v", client, i, err)
					return
				}
			}
		})
	}
	for placed.Load() < crashAfter && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	m.kill(0)
	killedAt := time.Now()
	wg.Wait()

	sim, err := loadkit.SimOrders(ctx, m.sim)
	if err != nil {
		t.Fatal(err)
	}
	from := killedAt
	if lastPaid.After(from) {
		from = lastPaid
	}
	deadline, paid := from.Add(60*time.Second), 0 // SPEC §4 and §10: found within 60 s
	s := loadkit.NewShopper(m.proxy.URL, nil, stats)
	for _, o := range sim {
		if o.TradeState != "SUCCESS" {
			continue
		}
		paid++
		token, ok := tokens[o.CodeURL]
		if !ok {
			t.Fatalf("%s was paid at WeChat but no shopper had its payment page", o.OutTradeNo)
		}
		for {
			st, err := s.Status(ctx, token)
			if err == nil && st.Status == "PAID" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s paid at WeChat is %+v (%v) in the shop %s after the kill", o.OutTradeNo, st, err, time.Since(killedAt))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("%d orders at WeChat, %d paid; all PAID %s after the kill", len(sim), paid, time.Since(killedAt).Round(time.Millisecond))
	m.stopAll()
	local, err := loadkit.ReadOrders(m.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range loadkit.Audit(local, sim) {
		t.Error(problem)
	}
	if n := stats.Total5xx(); n > 0 {
		t.Errorf("the instances answered %d requests with a 5xx", n)
	}
}
