package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"wxcheckout/internal/loadkit"
)

// result is one timed run: successes with their latencies, failures by
// HTTP status (0: no answer), and the wall time.
type result struct {
	lat     []time.Duration // of the successes
	bad     map[int]int
	elapsed time.Duration
}

func (r result) count() int { return len(r.lat) }

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.elapsed.Seconds()
}

func (r result) pct(p float64) time.Duration {
	l := slices.Clone(r.lat)
	slices.Sort(l)
	return loadkit.Percentile(l, p)
}

func (r *result) merge(o result) {
	r.lat = append(r.lat, o.lat...)
	if r.bad == nil {
		r.bad = map[int]int{}
	}
	for k, v := range o.bad {
		r.bad[k] += v
	}
	r.elapsed += o.elapsed
}

// job does request i on worker w and returns the HTTP status and whether
// the answer was the expected one.
type job func(ctx context.Context, w, i int) (code int, ok bool)

// runJobs runs jobs on workers until n are done (n > 0) or for dur.
func runJobs(ctx context.Context, workers, n int, dur time.Duration, do job) result {
	var next atomic.Int64
	deadline := time.Now().Add(dur)
	lats := make([][]time.Duration, workers)
	bads := make([]map[int]int, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		bads[w] = map[int]int{}
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if (n > 0 && i >= n) || (n <= 0 && time.Now().After(deadline)) {
					return
				}
				t0 := time.Now()
				code, ok := do(ctx, w, i)
				if ok {
					lats[w] = append(lats[w], time.Since(t0))
				} else {
					bads[w][code]++
				}
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), bad: map[int]int{}}
	for w := range workers {
		r.lat = append(r.lat, lats[w]...)
		for k, v := range bads[w] {
			r.bad[k] += v
		}
	}
	return r
}

// hammer GETs urlFor(i) from clients keep-alive connections for dur and
// counts 200s.
func hammer(ctx context.Context, clients int, dur time.Duration, urlFor func(i int) string) result {
	c := &http.Client{Transport: loadkit.NewTransport(clients), Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	// Warm up: open the connections and let both sides settle.
	runJobs(ctx, clients, 0, dur/10, get(c, urlFor))
	return runJobs(ctx, clients, 0, dur, get(c, urlFor))
}

func get(c *http.Client, urlFor func(int) string) job {
	return func(ctx context.Context, _, i int) (int, bool) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urlFor(i), nil)
		resp, err := c.Do(req)
		if err != nil {
			return 0, false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.StatusCode == http.StatusOK
	}
}

// table is the suite's output.
type table struct {
	rows     [][]string
	baseline float64 // run 1's req/s, when it ran
	notes    []string
}

func (t *table) add(name string, value float64, unit string, r result, target, note string) {
	if len(r.bad) > 0 {
		note += fmt.Sprintf("; failures %v", r.bad)
	}
	t.rows = append(t.rows, []string{name, fmt.Sprintf("%.0f %s", value, unit),
		loadkit.Ms(r.pct(50)), loadkit.Ms(r.pct(99)), target, note})
}

func (t *table) addMem(name string, rss int64, target, note string) {
	t.rows = append(t.rows, []string{name, mb(rss), "", "", target, note})
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func (t *table) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nrun\tmeasured\tp50\tp99\ttarget\tnotes")
	fmt.Fprintln(tw, "---\t---\t---\t---\t---\t---")
	for _, r := range t.rows {
		for i, c := range r {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, n := range t.notes {
		fmt.Fprintln(w, "\n"+n)
	}
}
