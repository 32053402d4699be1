package loadkit

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"
)

// Stats collects latencies and outcomes per endpoint. A nil *Stats
// records nothing. It is safe for concurrent use.
type Stats struct {
	mu  sync.Mutex
	eps map[string]*endpoint
}

type endpoint struct {
	lat    []time.Duration
	codes  map[int]int // HTTP status → count
	errors int         // transport errors (no HTTP answer)
}

// NewStats returns empty stats.
func NewStats() *Stats { return &Stats{eps: make(map[string]*endpoint)} }

// Observe records one request: its duration, status code (0 when there was
// no answer) and transport error.
func (s *Stats) Observe(name string, d time.Duration, code int, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.eps[name]
	if e == nil {
		e = &endpoint{codes: make(map[int]int)}
		s.eps[name] = e
	}
	if code == 0 {
		e.errors++
		return
	}
	e.lat = append(e.lat, d)
	e.codes[code]++
}

// Summary is one endpoint's figures.
type Summary struct {
	Name               string
	Count, Errors      int
	Codes              map[int]int
	P50, P90, P99, Max time.Duration
	Mean               time.Duration
	Server5xx          int
}

// Summaries returns every endpoint's figures, sorted by name.
func (s *Stats) Summaries() []Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Summary
	for name, e := range s.eps {
		sum := Summarize(e.lat)
		sum.Name, sum.Errors, sum.Codes = name, e.errors, make(map[int]int)
		for c, n := range e.codes {
			sum.Codes[c] = n
			if c >= 500 {
				sum.Server5xx += n
			}
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Summarize computes the percentiles of a set of latencies.
func Summarize(lat []time.Duration) Summary {
	if len(lat) == 0 {
		return Summary{}
	}
	l := slices.Clone(lat)
	slices.Sort(l)
	var total time.Duration
	for _, d := range l {
		total += d
	}
	return Summary{Count: len(l), P50: Percentile(l, 50), P90: Percentile(l, 90), P99: Percentile(l, 99),
		Max: l[len(l)-1], Mean: total / time.Duration(len(l))}
}

// Percentile of sorted latencies (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Total5xx counts server errors over every endpoint.
func (s *Stats) Total5xx() int {
	n := 0
	for _, sum := range s.Summaries() {
		n += sum.Server5xx
	}
	return n
}

// Print writes the per-endpoint table.
func (s *Stats) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\trequests\tp50\tp90\tp99\tmax\tstatus codes\tno answer\t")
	for _, sum := range s.Summaries() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t\n", sum.Name, sum.Count, Ms(sum.P50), Ms(sum.P90), Ms(sum.P99),
			Ms(sum.Max), codes(sum.Codes), sum.Errors)
	}
	tw.Flush()
}

func codes(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%d×%d", k, m[k])
	}
	return out
}

// Ms formats a duration in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
