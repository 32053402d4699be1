package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"wxcheckout/internal/loadkit"
	"wxcheckout/internal/seed"
	"wxcheckout/models"
	"wxcheckout/store"
)

// The growth mode (-grow 20000,1000000, issue 17): for the empty database
// and each size, a SQLite file is seeded through the store (internal/seed:
// 60 % paid, 30 % closed, 10 % unpaid, ~6 timeline entries each, over 90
// days) in this process, with the shop stopped; then the shop is started
// on it and measured: the admin list and its filters, warm and cold, the
// CSV export, the reconciler's idle CPU, checkouts, notifications and
// status look-ups. One table prints the figures side by side.

// parseSizes reads -grow's comma-separated order counts.
// growRetention is RAW_BODY_RETENTION's default: a shop that has run
// 90 days has pruned the raw bodies of its routine calls older than 30
// (seed.Options.Retention), and its pruner has caught up.
const growRetention = 720 * time.Hour

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-grow %q: want comma-separated order counts of 1 or more, e.g. 20000,1000000", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// growth is one column of the table: the figures at one size.
type growth struct {
	size  int
	v     map[string]string
	ratio map[string]float64 // rates, for the ratio to the empty column
}

// growRows are the table's rows, with the targets.
var growRows = []struct{ key, name, target string }{
	{"seed", "seeding (this process, shop stopped)", "a few minutes at 1M"},
	{"bytes", "DB bytes per order", "timeline ≤ 2 KB/order"},
	{"start", "shop start on the file (migration, backfills)", "—"},
	{"list.warm", "admin list, first page (with totals, chart), warm", "≤ 50 ms"},
	{"paid.warm", "  PAID filter, warm", "≤ 50 ms"},
	{"fulfil.warm", "  fulfilment to_ship filter, warm", "≤ 50 ms"},
	{"no.warm", "  exact search out_trade_no, warm", "≤ 50 ms"},
	{"tx.warm", "  exact search transaction_id, warm", "≤ 50 ms"},
	{"older.warm", "  next page (?older=), warm", "≤ 50 ms"},
	{"list.cold", "admin list, first page, cold", "≤ 500 ms"},
	{"paid.cold", "  PAID filter, cold", "≤ 500 ms"},
	{"fulfil.cold", "  fulfilment filter, cold", "≤ 500 ms"},
	{"no.cold", "  exact search out_trade_no, cold", "≤ 500 ms"},
	{"tx.cold", "  exact search transaction_id, cold", "≤ 500 ms"},
	{"older.cold", "  next page, cold", "≤ 500 ms"},
	{"csv", "CSV of every order: time, rows/s", "≤ 10 s at 1M"},
	{"csv.rss", "  shop peak RSS (VmHWM) after the CSV", "flat"},
	{"idle", "reconciler idle CPU (10 s, no traffic)", "≤ 1 % of a core"},
	{"notify", "POST /wxpay/notify, notif/s (ratio to empty)", "≥ 0.95× empty"},
	{"checkout", "POST /checkout, orders/s (ratio to empty)", "—"},
	{"status", "GET /pay/:token/status, req/s (ratio to empty)", "—"},
}

// growAll measures the empty database and each size in turn, each on a
// fresh file in dir, and prints the table.
func growAll(ctx context.Context, c config, bin, dir string, env []string) error {
	cols := []*growth{}
	for _, n := range append([]int{0}, c.grow...) {
		g, err := growOne(ctx, c, bin, dir, env, n)
		if err != nil {
			return fmt.Errorf("growth at %d orders: %w", n, err)
		}
		cols = append(cols, g)
	}
	printGrowth(os.Stdout, cols)
	return nil
}

func growOne(ctx context.Context, c config, bin, dir string, env []string, n int) (*growth, error) {
	g := &growth{size: n, v: map[string]string{}, ratio: map[string]float64{}}
	path := filepath.Join(dir, fmt.Sprintf("grow-%d.db", n))
	env = append(env[:len(env):len(env)], "DATABASE_URL=sqlite:"+path)
	// The shop makes the file (migration, demo catalog), then stops.
	app, _, err := loadkit.StartApp(bin, env)
	if err != nil {
		return nil, err
	}
	if err := app.Stop(15 * time.Second); err != nil {
		return nil, err
	}
	st, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	rep, err := seed.Run(ctx, st, seed.Options{Orders: n, Chunk: 2000, Seed: uint64(n), Retention: growRetention, Progress: func(done int) {
		if done%100000 == 0 {
			fmt.Printf("suite: grow %d: %d orders seeded, %.0f s\n", n, done, time.Since(t0).Seconds())
		}
	}})
	if err != nil {
		st.Close()
		return nil, err
	}
	seedTime := time.Since(t0)
	size, err := st.DatabaseSize(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Numbers to look up: a paid order from the middle of the history.
	noQ, txQ := "20260101000000000000NOSUCHNO", "4200000000000000000000000000"
	if n > 0 {
		mid := time.Now().Add(-45 * 24 * time.Hour)
		page, err := st.SearchOrders(ctx, models.OrderFilter{Status: models.StatusPaid, To: mid}, 0, 1)
		if err != nil || len(page) == 0 {
			st.Close()
			return nil, fmt.Errorf("no paid order 45 days back: %v", err)
		}
		noQ, txQ = page[0].OutTradeNo, page[0].TransactionID
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	g.v["seed"] = fmt.Sprintf("%.1f s (%.0f orders/s; %d events, %d items, %d refunds)", seedTime.Seconds(),
		float64(n)/max(seedTime.Seconds(), 1e-9), rep.Events, rep.Items, rep.Refunds)
	g.v["bytes"] = fmt.Sprintf("%.1f MB", float64(size)/(1<<20))
	if n > 0 {
		g.v["bytes"] = fmt.Sprintf("%.0f B (%.0f MB)", float64(size)/float64(n), float64(size)/(1<<20))
	}
	fmt.Printf("suite: grow %d: seeded in %s, %s\n", n, g.v["seed"], g.v["bytes"])

	paths := map[string]string{"list": "/admin/orders", "paid": "/admin/orders?status=PAID",
		"fulfil": "/admin/orders?fulfilment=to_ship", "no": "/admin/orders?q=" + url.QueryEscape(noQ),
		"tx": "/admin/orders?q=" + url.QueryEscape(txQ)}
	start := func() (*loadkit.Proc, *admin, error) {
		t0 := time.Now()
		app, base, err := loadkit.StartApp(bin, env)
		if err != nil {
			return nil, nil, err
		}
		g.v["start"] = fmt.Sprintf("%.2f s", time.Since(t0).Seconds())
		a, err := login(ctx, base)
		if err != nil {
			app.Kill()
			return nil, nil, err
		}
		return app, a, nil
	}
	app, a, err := start()
	if err != nil {
		return nil, err
	}
	first, _, err := a.get(ctx, paths["list"])
	if err != nil {
		app.Kill()
		return nil, err
	}
	if key, ok := olderKey(first); ok {
		paths["older"] = "/admin/orders?older=" + key
	}
	for _, k := range []string{"list", "paid", "fulfil", "no", "tx", "older"} {
		if paths[k] == "" {
			g.v[k+".warm"] = "— (one page)"
			continue
		}
		d, err := a.warm(ctx, paths[k], 7)
		if err != nil {
			app.Kill()
			return nil, err
		}
		g.v[k+".warm"] = loadkit.Ms(d)
	}
	coldNote := ""
	for _, k := range []string{"list", "paid", "fulfil", "no", "tx", "older"} {
		if paths[k] == "" {
			g.v[k+".cold"] = "—"
			continue
		}
		if err := app.Stop(15 * time.Second); err != nil {
			return nil, err
		}
		if !dropCaches() {
			coldNote = " (fresh process, OS cache not dropped)"
		}
		if app, a, err = start(); err != nil {
			return nil, err
		}
		_, d, err := a.get(ctx, paths[k])
		if err != nil {
			app.Kill()
			return nil, err
		}
		g.v[k+".cold"] = loadkit.Ms(d) + coldNote
	}
	defer app.Kill()

	rows, d, trailer, err := a.csv(ctx)
	if err != nil {
		return nil, err
	}
	hwm, _ := loadkit.ProcStatusBytes(app.Pid(), "VmHWM")
	g.v["csv"] = fmt.Sprintf("%.2f s, %d lines, %.0f rows/s", d.Seconds(), rows, float64(rows)/d.Seconds())
	if !strings.Contains(strings.ToLower(trailer), "complete") {
		g.v["csv"] += "; trailer " + strconv.Quote(trailer)
	}
	g.v["csv.rss"] = mb(hwm)

	cpu0, err := cpuTime(app.Pid())
	if err != nil {
		return nil, err
	}
	time.Sleep(10 * time.Second)
	cpu1, _ := cpuTime(app.Pid())
	g.v["idle"] = fmt.Sprintf("%.2f %%", 100*(cpu1-cpu0).Seconds()/10)

	s := &shop{cfg: c, urls: []string{a.base}, apps: []*loadkit.Proc{app}, prof: &profiler{}}
	ck, nt, tokens, err := s.checkoutAndNotify(ctx)
	if err != nil {
		return nil, err
	}
	stat := hammer(ctx, c.clients, c.duration, func(i int) string { return a.base + "/pay/" + tokens[i%len(tokens)] + "/status" })
	g.ratio["notify"], g.ratio["checkout"], g.ratio["status"] = nt.rate(), ck.rate(), stat.rate()
	if err := app.Stop(15 * time.Second); err != nil {
		return nil, err
	}
	return g, nil
}

func printGrowth(w io.Writer, cols []*growth) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "\nfigure")
	for _, g := range cols {
		if g.size == 0 {
			fmt.Fprint(tw, "\tempty")
		} else {
			fmt.Fprintf(tw, "\t%d orders", g.size)
		}
	}
	fmt.Fprintln(tw, "\ttarget")
	for _, r := range growRows {
		fmt.Fprint(tw, r.name)
		for _, g := range cols {
			v, ok := g.v[r.key]
			if rate, isRate := g.ratio[r.key]; isRate {
				v, ok = fmt.Sprintf("%.0f", rate), true
				if base := cols[0].ratio[r.key]; g.size > 0 && base > 0 {
					v += fmt.Sprintf(" (%.2f×)", rate/base)
				}
			}
			if !ok {
				v = "—"
			}
			fmt.Fprint(tw, "\t"+v)
		}
		fmt.Fprintln(tw, "\t"+r.target)
	}
	tw.Flush()
}
