// Package metrics owns what GET /metrics shows (SPEC §11): a Prometheus
// registry of the process's own (not the global default, so tests can run
// several apps), the Go and process collectors, the counters the business
// moves through nil-safe one-line hooks, and the gauges read from the
// database at scrape time (state.go).
//
// Counters are per process, as Prometheus expects: with several instances
// sum them in PromQL (sum without(instance) (rate(...))). Gauges read from
// the shared database are the same on every instance: take max, not sum.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the app.
const Namespace = "wxcheckout"

// Notification outcomes (the outcome label).
const (
	Processed = "processed" // acknowledged: a payment or refund applied, or a duplicate
	Refused   = "refused"   // refused: the refusal label says why
	Failed    = "error"     // the app failed; WeChat sends it again
	// RateLimited is the refusal label of a notification turned away
	// unread: its client sent too many refused ones (429).
	RateLimited = "rate_limited"
)

// Metrics is one app's registry and counters. A nil *Metrics counts
// nothing, so the hooks need no guard.
type Metrics struct {
	reg           *prometheus.Registry
	payments      prometheus.Counter
	paidFen       prometheus.Counter
	notifications *prometheus.CounterVec
	wxCalls       *prometheus.CounterVec
	wxSeconds     *prometheus.HistogramVec
}

// WeChatBuckets are the call latency histogram's bounds, in seconds: WeChat
// answers in tens of milliseconds, the clients give up at 10 s.
var WeChatBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New makes a registry with the Go and process collectors and the app's
// counters.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(),
		payments: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "payments_total",
			Help: "Payments recorded by this process (an order turning PAID, by notification or query)."}),
		paidFen: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "payments_fen_total",
			Help: "Sum of the payments recorded by this process, in fen (1/100 yuan)."}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "notifications_total",
			Help: "WeChat Pay notifications received by this process, by endpoint (v2, refund, v3), outcome and refusal code."},
			[]string{"endpoint", "outcome", "refusal"}),
		wxCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "wechat_calls_total",
			Help: "Calls this process made to WeChat Pay, by API and result (SUCCESS, WeChat's err_code, FAIL or TRANSPORT)."},
			[]string{"api", "result"}),
		wxSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "wechat_call_duration_seconds",
			Help: "Latency of calls to WeChat Pay, by API and result.", Buckets: WeChatBuckets}, []string{"api", "result"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.payments, m.paidFen, m.notifications, m.wxCalls, m.wxSeconds)
	return m
}

// Registry is the app's registry: for tests and further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Paid counts a payment recorded, of fen.
func (m *Metrics) Paid(fen int64) {
	if m == nil {
		return
	}
	m.payments.Inc()
	m.paidFen.Add(float64(fen))
}

// Notification counts a notification received at endpoint with its
// outcome; refusal is its refusal code, "" unless refused.
func (m *Metrics) Notification(endpoint, outcome, refusal string) {
	if m == nil {
		return
	}
	m.notifications.WithLabelValues(endpoint, outcome, label(refusal)).Inc()
}

// WeChatCall counts a call to WeChat's api that ended with result after d.
func (m *Metrics) WeChatCall(api, result string, d time.Duration) {
	if m == nil {
		return
	}
	api, result = label(api), label(result)
	m.wxCalls.WithLabelValues(api, result).Inc()
	m.wxSeconds.WithLabelValues(api, result).Observe(d.Seconds())
}

// label keeps a label value short and plain — WeChat's codes are upper
// case words — so that no reply can grow the number of series without
// bound beyond WeChat's own list of codes.
func label(s string) string {
	if len(s) > 40 {
		return "OTHER"
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == '/') {
			return "OTHER"
		}
	}
	return s
}
