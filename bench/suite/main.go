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
//  6. the shop's RSS with the pages open;
//
//  7. the merchant gateway: orders created through /mapi.php, orders/s;
//
//  8. merchant notifications: the gateway orders paid by notification, and
//     the epay notifications acknowledged by a merchant in this process,
//     notifications/s, with the latency from the payment's reply to the
//     merchant's receipt;
//
//  9. and 10. (-only wrk) the bare gin GET and GET /pay/:token/status
//     again with wrk (an external C client; make bench-deps installs it).
//
//     go run ./bench/suite
//
// Everything is bounded: -duration per throughput run, -orders, -pages.
//
// The growth mode (issue 17) adds, after the usual runs, the same shop on
// seeded databases: for the empty one and each size of -grow, a fresh
// SQLite file gets a realistic history (internal/seed: 60 % paid, 30 %
// closed, 10 % unpaid, ~6 timeline entries each, over 90 days) through the
// store's bulk loader in this process, the shop stopped; then the shop
// starts on it and the suite measures the admin list, its filters, exact
// search and next page warm (median of 7) and cold (the shop restarted
// after dropping the OS page cache, as root), the CSV export of every order
// with the shop's peak RSS, the reconciler's CPU over 10 idle seconds, and
// checkouts, notifications and status look-ups as in runs 2–4, and prints
// one table, a column per size:
//
//	go run ./bench/suite -grow 20000,1000000
//
// On PostgreSQL, with one instance or several sharing the database:
//
//	.ci/with-postgres go run ./bench/suite -database postgres -instances 3 -only notify,checkout
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"wxcheckout/internal/loadkit"
)

type config struct {
	clients     int
	duration    time.Duration
	orders      int
	round       int
	senders     int
	pages       int
	keep        bool
	profile     string
	database    string // sqlite or postgres
	postgresURL string
	instances   int
	standalone  bool // the standalone simulator even with one instance
	only        map[string]bool
	grow        []int // -grow: order counts of the growth runs
}

// runs are the names -only takes, in the table's order.
var runs = []string{"baseline", "status", "notify", "checkout", "pages", "rss", "gateway", "wrk"}

func (c config) want(run string) bool { return c.only == nil || c.only[run] }

func main() {
	var c config
	var only, grow string
	baseline := flag.Bool("serve-baseline", false, "internal: run the bare gin server (the suite starts itself with it)")
	flag.IntVar(&c.clients, "clients", 32, "keep-alive clients for the request/s runs and checkouts")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "length of each request/s run")
	flag.IntVar(&c.orders, "orders", 2000, "orders placed (timed as checkouts) and then paid by notification (timed)")
	flag.IntVar(&c.round, "round", 500, "orders per checkout-then-notify round; each round is paid before the reconciler's first query")
	flag.IntVar(&c.senders, "senders", 16, "concurrent notification senders")
	flag.IntVar(&c.pages, "pages", 1000, "open payment pages (SSE) for the latency and memory runs")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (database, binary)")
	flag.StringVar(&c.profile, "profile", "", "write CPU profiles of the shop for each run into this directory (builds it with -tags pprof; with several instances, of the first)")
	flag.StringVar(&c.database, "database", "sqlite", "sqlite (a file in the temp dir) or postgres (a fresh database on -postgres-url's server, dropped afterwards)")
	flag.StringVar(&c.postgresURL, "postgres-url", "", "admin URL of a PostgreSQL server whose user may create databases (default $"+postgresEnv+")")
	flag.IntVar(&c.instances, "instances", 1, "shop processes on the one database (more than 1 needs -database postgres); clients spread over them round robin")
	flag.BoolVar(&c.standalone, "standalone-sim", false, "use the standalone simulator (wxcheckout sim) even with one instance; several instances always do")
	flag.StringVar(&only, "only", "", "comma-separated runs to do, of "+strings.Join(runs, ",")+" (default all)")
	flag.StringVar(&grow, "grow", "", "after the usual runs, the growth runs: comma-separated order counts (e.g. 20000,1000000) each seeded into a fresh SQLite file and measured, side by side with the empty database (see grow.go)")
	flag.Parse()
	if *baseline {
		serveBaseline()
		return
	}
	if err := c.check(only, grow); err != nil {
		fmt.Fprintln(os.Stderr, "suite:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "suite:", err)
		os.Exit(1)
	}
}

func (c *config) check(only, grow string) error {
	if grow != "" {
		sizes, err := parseSizes(grow)
		if err != nil {
			return err
		}
		if c.database != "sqlite" || c.instances != 1 || c.standalone {
			return fmt.Errorf("-grow: the growth runs use SQLite files and one instance with its built-in simulator")
		}
		c.grow = sizes
	}
	switch {
	case c.database != "sqlite" && c.database != "postgres":
		return fmt.Errorf("-database %q: want sqlite or postgres", c.database)
	case c.instances < 1:
		return fmt.Errorf("-instances %d: want at least 1", c.instances)
	case c.instances > 1 && c.database != "postgres":
		return fmt.Errorf("-instances %d: several instances share one database only on PostgreSQL (-database postgres)", c.instances)
	}
	if c.instances > 1 {
		c.standalone = true
	}
	if only != "" {
		c.only = map[string]bool{}
		for _, r := range strings.Split(only, ",") {
			if r = strings.TrimSpace(r); !slices.Contains(runs, r) {
				return fmt.Errorf("-only: unknown run %q; want some of %s", r, strings.Join(runs, ","))
			}
			c.only[r] = true
		}
	}
	return nil
}

func run(c config) error {
	limit := 10 * time.Minute
	for _, n := range c.grow {
		limit += 5*time.Minute + time.Duration(n)*time.Millisecond // seeding at 1,000 orders/s at worst, then the runs
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
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
	db, err := newDatabase(ctx, c, dir)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.drop(); err != nil {
			fmt.Fprintln(os.Stderr, "suite: drop the database:", err)
		}
	}()
	fmt.Printf("suite: %d CPUs, %s, %s, %d instance(s), building the shop …\n", runtime.NumCPU(), runtime.Version(), db.note, c.instances)
	bin := filepath.Join(dir, "wxcheckout")
	var flags []string
	env := []string{"ADDR=127.0.0.1:0", "DATABASE_URL=" + db.url, "ADMIN_PASSWORD=suite-admin-password",
		// Each shopper keeps ordering from its own address: lift the per-client caps on orders.
		"CHECKOUT_RATE_PER_CLIENT=1000000", "MAX_OPEN_ORDERS_PER_CLIENT=1000000"}
	env = append(env, gatewayEnv...)
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

	if c.want("baseline") {
		base, stopBase, err := startBaseline()
		if err != nil {
			return err
		}
		baseRes := hammer(ctx, c.clients, c.duration, func(int) string { return base + "/ping" })
		stopBase()
		t.baseline = baseRes.rate()
		t.add("1 baseline: bare gin GET, constant JSON", baseRes.rate(), "req/s", baseRes, "—", fmt.Sprintf("%d clients", c.clients))
	}

	simNote, lb := "built-in sim", (*balancer)(nil)
	if c.standalone {
		sim, simURL, err := loadkit.StartSim(bin, 1, nil)
		if err != nil {
			return err
		}
		defer sim.Kill()
		if lb, err = startBalancer(); err != nil {
			return err
		}
		defer lb.close()
		// Every instance asks the one simulator, which would notify through
		// the balancer (PUBLIC_URL); the suite's own clients go to the
		// instances directly, round robin, not through it.
		env = append(env, "WXPAY_API_BASE="+simURL, "PUBLIC_URL="+lb.url)
		simNote = "standalone sim"
	}
	s, err := startShops(bin, env, c.instances)
	if err != nil {
		return err
	}
	if lb != nil {
		lb.set(s.urls)
	}
	s.dir = dir
	if err := measure(ctx, c, s, db, simNote, &t); err != nil || len(c.grow) == 0 {
		return err
	}
	return growAll(ctx, c, bin, dir, env)
}

// startShops starts n instances of the shop at once on one database.
func startShops(bin string, env []string, n int) (*shop, error) {
	s := &shop{apps: make([]*loadkit.Proc, n), urls: make([]string, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { s.apps[i], s.urls[i], errs[i] = loadkit.StartApp(bin, env) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

func measure(ctx context.Context, c config, s *shop, db *database, simNote string, t *table) error {
	defer s.kill()
	s.cfg = c
	idle := s.rss()
	var err error
	if s.prof, err = newProfiler(s.apps[0], c.profile); err != nil {
		return err
	}
	setup := fmt.Sprintf("%s; %d instance(s)", db.note, c.instances)
	if c.instances > 1 {
		setup += ", clients round robin over them; each order looked up and notified on other instances than its checkout's"
	}
	t.notes = append(t.notes, setup)

	if c.want("status") || c.want("notify") || c.want("checkout") {
		ck, nt, tokens, err := s.checkoutAndNotify(ctx)
		if err != nil {
			return err
		}
		if c.want("status") {
			s.prof.start("status")
			st := hammer(ctx, c.clients, c.duration, func(i int) string { return s.at(i) + "/pay/" + tokens[i%len(tokens)] + "/status" })
			s.prof.stop()
			note := "no baseline run"
			if t.baseline > 0 {
				note = fmt.Sprintf("%.0f%% of baseline", 100*st.rate()/t.baseline)
			}
			t.add("2 GET /pay/:token/status", st.rate(), "req/s", st, "≥ 50% of 1", note)
		}
		if c.want("notify") {
			name := "3 POST /wxpay/notify (durable)"
			if !db.durable {
				name = "3 POST /wxpay/notify (NOT durable: fsync or synchronous_commit off)"
			}
			t.add(name, nt.rate(), "notif/s", nt, "≥ 1 500/s", fmt.Sprintf("%d senders", c.senders)+cpuNote(nt.count()))
		}
		if c.want("checkout") {
			t.add("4 POST /checkout ("+simNote+")", ck.rate(), "orders/s", ck, "≥ 500/s", fmt.Sprintf("%d clients", c.clients))
		}
	}

	if c.want("wrk") {
		if err := s.wrkRun(ctx, t, s.dir); err != nil {
			return err
		}
	}

	if c.want("pages") || c.want("rss") {
		pg, err := s.pagesRun(ctx)
		if err != nil {
			return err
		}
		if c.want("pages") {
			t.add(fmt.Sprintf("5 notify → page (%d open SSE pages)", c.pages), float64(pg.latency.count()), "pages",
				pg.latency, "p99 ≤ 100 ms", fmt.Sprintf("from sending the notification; from its reply: p50 %s, p99 %s, max %s; %d senders",
					loadkit.Ms(pg.afterAck.pct(50)), loadkit.Ms(pg.afterAck.pct(99)), loadkit.Ms(pg.afterAck.pct(100)), c.senders))
		}
		if c.want("rss") {
			note := fmt.Sprintf("idle after start %s, peak %s; %.1f KB per open page (%s before the pages opened)",
				mb(idle), mb(pg.peak), float64(pg.rss-pg.before)/1024/float64(c.pages), mb(pg.before))
			if len(s.apps) > 1 {
				note += fmt.Sprintf("; the sum over the %d instances", len(s.apps))
			}
			t.addMem(fmt.Sprintf("6 RSS with %d open pages", c.pages), pg.rss, "≤ 150 MB", note)
		}
	}
	if c.want("gateway") {
		create, deliver, err := s.gatewayRun(ctx)
		if err != nil {
			return err
		}
		t.add("7 POST /mapi.php (gateway orders, "+simNote+")", create.rate(), "orders/s", create, "—", fmt.Sprintf("%d clients", c.clients))
		t.add("8 merchant notifications delivered", deliver.rate(), "notif/s", deliver, "—",
			fmt.Sprintf("latency from the payment's reply to the merchant's receipt; %d senders", c.senders))
	}
	for i, app := range s.apps {
		if err := app.Stop(15 * time.Second); err != nil {
			return fmt.Errorf("stop instance %d: %w\n%s", i, err, app.Tail())
		}
	}
	t.print(os.Stdout)
	return nil
}
