// Command load is issue 6's load generator: concurrent shoppers, each
// opening the shop, checking out, opening the payment page and its QR,
// polling the status, paying on the simulator's phone page and waiting
// until the page would show PAID — for a fixed number of orders. It reports
// throughput, latency percentiles per endpoint and errors by status, then
// checks that no payment was lost or applied twice.
//
//	go run ./bench/load                      # builds and starts the shop with its built-in simulator
//	go run ./bench/load -url http://127.0.0.1:8080 -db wxcheckout.db
//
// Loopback only; bounded by -orders and -timeout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"wxcheckout/internal/loadkit"
)

type config struct {
	url, db, sku     string
	orders, shoppers int
	poll, scan       time.Duration
	timeout          time.Duration
	payPercent       int
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "", "a running shop in simulator mode (default: build and start one)")
	flag.StringVar(&c.db, "db", "", "with -url: the shop's SQLite file, audited after the run once the shop is stopped")
	flag.StringVar(&c.sku, "sku", "PENNY", "product to buy")
	flag.IntVar(&c.orders, "orders", 2000, "orders to place in all")
	flag.IntVar(&c.shoppers, "shoppers", 200, "concurrent shoppers")
	flag.IntVar(&c.payPercent, "pay", 90, "percentage of orders paid")
	flag.DurationVar(&c.poll, "poll", time.Second, "status poll interval of a waiting payment page")
	flag.DurationVar(&c.scan, "scan", 500*time.Millisecond, "time a shopper takes to scan and pay")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var app *loadkit.Proc
	if c.url == "" {
		dir, err := os.MkdirTemp("", "wxcheckout-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if app, c.url, err = startShop(ctx, dir); err != nil {
			return err
		}
		defer app.Kill()
		c.db = filepath.Join(dir, "load.db")
	}
	fmt.Printf("load: %d orders, %d shoppers, poll every %s, scan takes %s, %d%% paid, shop %s\n",
		c.orders, c.shoppers, c.poll, c.scan, c.payPercent, c.url)
	r := &runner{cfg: c, stats: loadkit.NewStats(), paidSeen: loadkit.NewStats(), tokens: map[string]string{}}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.shoppers {
		wg.Go(func() { r.shopper(ctx, i) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.print(elapsed)
	return r.verify(ctx, app)
}

// startShop builds the shop and starts it with the built-in simulator.
func startShop(ctx context.Context, dir string) (*loadkit.Proc, string, error) {
	bin := filepath.Join(dir, "wxcheckout")
	fmt.Println("load: building the shop …")
	if err := loadkit.Build(ctx, ".", bin); err != nil {
		return nil, "", err
	}
	return loadkit.StartApp(bin, []string{"ADDR=127.0.0.1:0", "DATABASE_URL=sqlite:" + filepath.Join(dir, "load.db"),
		"ADMIN_PASSWORD=load-test-admin-password",
		// Each shopper keeps ordering from its own address: lift the per-client caps on orders.
		"CHECKOUT_RATE_PER_CLIENT=1000000", "MAX_OPEN_ORDERS_PER_CLIENT=1000000"})
}

type runner struct {
	cfg      config
	stats    *loadkit.Stats // per endpoint
	paidSeen *loadkit.Stats // from pressing Pay to a poll seeing PAID
	next     atomic.Int64
	done     atomic.Int64
	failed   atomic.Int64

	mu     sync.Mutex
	tokens map[string]string // token → "paid" or "unpaid", as the shopper left it
	errs   []error
}

// shopper places orders until the count is reached.
func (r *runner) shopper(ctx context.Context, id int) {
	s := loadkit.NewShopper(r.cfg.url, nil, r.stats)
	s.IP = loadkit.ShopperIP(id)
	for {
		n := r.next.Add(1)
		if n > int64(r.cfg.orders) || ctx.Err() != nil {
			return
		}
		pay := int(n%100) < r.cfg.payPercent
		if err := r.order(ctx, s, pay); err != nil {
			r.failed.Add(1)
			r.mu.Lock()
			if len(r.errs) < 20 {
				r.errs = append(r.errs, err)
			}
			r.mu.Unlock()
			continue
		}
		r.done.Add(1)
	}
}

// order is one shopper's visit: shop, checkout, payment page and QR, then
// (when paying) a scan and the wait for the page to turn PAID.
func (r *runner) order(ctx context.Context, s *loadkit.Shopper, pay bool) error {
	token, err := s.Checkout(ctx, r.cfg.sku, 1)
	if err != nil {
		return err
	}
	scan, err := s.ScanURL(ctx, token)
	if err != nil {
		return err
	}
	if err := s.QR(ctx, token); err != nil {
		return err
	}
	state := "unpaid"
	if pay {
		state = "paid"
	}
	r.mu.Lock()
	r.tokens[token] = state
	r.mu.Unlock()
	if !pay {
		_, err := s.Status(ctx, token) // one look, then the shopper leaves
		return err
	}
	scanned := time.After(r.cfg.scan)
	poll := time.NewTicker(r.cfg.poll)
	defer poll.Stop()
	var paidAt time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-scanned:
			if err := s.Pay(ctx, scan); err != nil {
				return err
			}
			paidAt, scanned = time.Now(), nil
		case <-poll.C:
			st, err := s.Status(ctx, token)
			if err != nil {
				return err
			}
			if st.Status == "PAID" {
				if paidAt.IsZero() {
					return errors.New(st.OutTradeNo + " PAID before it was paid")
				}
				r.paidSeen.Observe("pay → poll sees PAID", time.Since(paidAt), 200, nil)
				return nil
			}
		}
	}
}
