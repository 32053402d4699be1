// Command suite is issue 7's benchmark suite. In one run it builds the shop,
// starts it (with its built-in simulator and a fresh database) and a bare
// gin server as child processes, drives both from this process over
// loopback, and prints one table:
//
//  1. baseline: a bare gin GET returning constant JSON, requests/s;
//
//  2. GET /pay/:token/status, requests/s, p50/p99 and the ratio to 1;
//
//  3. POST /wxpay/notify, valid distinct notifications, notifications/s;
//
//  4. POST /checkout against the built-in simulator, orders/s;
//
//  5. notify → page: open payment pages (SSE) each paid once, latency
//     from the notification's reply to the page seeing PAID;
//
//  6. the shop's RSS with the pages open.
//
//     go run ./bench/suite
//
// Everything is bounded: -duration per throughput run, -orders, -pages.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"wxcheckout/internal/loadkit"
)

type config struct {
	clients  int
	duration time.Duration
	orders   int
	round    int
	senders  int
	pages    int
	keep     bool
	profile  string
}

func main() {
	var c config
	baseline := flag.Bool("serve-baseline", false, "internal: run the bare gin server (the suite starts itself with it)")
	flag.IntVar(&c.clients, "clients", 32, "keep-alive clients for the request/s runs and checkouts")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "length of each request/s run")
	flag.IntVar(&c.orders, "orders", 2000, "orders placed (timed as checkouts) and then paid by notification (timed)")
	flag.IntVar(&c.round, "round", 500, "orders per checkout-then-notify round; each round is paid before the reconciler's first query")
	flag.IntVar(&c.senders, "senders", 16, "concurrent notification senders")
	flag.IntVar(&c.pages, "pages", 1000, "open payment pages (SSE) for the latency and memory runs")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (database, binary)")
	flag.StringVar(&c.profile, "profile", "", "write CPU profiles of the shop for each run into this directory (builds it with -tags pprof)")
	flag.Parse()
	if *baseline {
		serveBaseline()
		return
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "suite:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "wxcheckout-suite-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Println("suite: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("suite: %d CPUs, %s, building the shop …\n", runtime.NumCPU(), runtime.Version())
	bin := filepath.Join(dir, "wxcheckout")
	var flags []string
	env := []string{"ADDR=127.0.0.1:0", "DATABASE_URL=sqlite:" + filepath.Join(dir, "suite.db"), "ADMIN_PASSWORD=suite-admin-password",
		// Each shopper keeps ordering from its own address: lift the per-client caps on orders.
		"CHECKOUT_RATE_PER_CLIENT=1000000", "MAX_OPEN_ORDERS_PER_CLIENT=1000000"}
	if c.profile != "" {
		if err := os.MkdirAll(c.profile, 0o755); err != nil {
			return err
		}
		flags, env = append(flags, "-tags", "pprof"), append(env, "PPROF_ADDR=127.0.0.1:0")
	}
	if err := loadkit.Build(ctx, ".", bin, flags...); err != nil {
		return err
	}
	var t table

	base, stopBase, err := startBaseline()
	if err != nil {
		return err
	}
	baseRes := hammer(ctx, c.clients, c.duration, func(int) string { return base + "/ping" })
	stopBase()
	t.add("1 baseline: bare gin GET, constant JSON", baseRes.rate(), "req/s", baseRes, "—", fmt.Sprintf("%d clients", c.clients))

	app, url, err := loadkit.StartApp(bin, env)
	if err != nil {
		return err
	}
	defer app.Kill()
	idle, _ := app.RSS()
	prof, err := newProfiler(app, c.profile)
	if err != nil {
		return err
	}
	s := &shop{cfg: c, url: url, app: app, prof: prof}

	ck, nt, tokens, err := s.checkoutAndNotify(ctx)
	if err != nil {
		return err
	}
	prof.start("status")
	st := hammer(ctx, c.clients, c.duration, func(i int) string { return url + "/pay/" + tokens[i%len(tokens)] + "/status" })
	prof.stop()
	t.add("2 GET /pay/:token/status", st.rate(), "req/s", st, "≥ 50% of 1",
		fmt.Sprintf("%.0f%% of baseline", 100*st.rate()/baseRes.rate()))
	t.add("3 POST /wxpay/notify (durable)", nt.rate(), "notif/s", nt, "≥ 1 500/s", fmt.Sprintf("%d senders", c.senders))
	t.add("4 POST /checkout (built-in sim)", ck.rate(), "orders/s", ck, "≥ 500/s", fmt.Sprintf("%d clients", c.clients))

	pg, err := s.pagesRun(ctx)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("5 notify → page (%d open SSE pages)", c.pages), float64(pg.latency.count()), "pages",
		pg.latency, "p99 ≤ 100 ms", fmt.Sprintf("from sending the notification; from its reply: p50 %s, p99 %s, max %s; %d senders",
			loadkit.Ms(pg.afterAck.pct(50)), loadkit.Ms(pg.afterAck.pct(99)), loadkit.Ms(pg.afterAck.pct(100)), c.senders))
	t.addMem(fmt.Sprintf("6 RSS with %d open pages", c.pages), pg.rss, "≤ 150 MB",
		fmt.Sprintf("idle after start %s, peak %s", mb(idle), mb(pg.peak)))
	if err := app.Stop(15 * time.Second); err != nil {
		return fmt.Errorf("stop the shop: %w\n%s", err, app.Tail())
	}
	t.print(os.Stdout)
	return nil
}
