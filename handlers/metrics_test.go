package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// scrape reads GET /metrics from loopback (the rig's client) and parses
// the exposition.
func scrape(t *testing.T, r *testrig.Rig) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(r.App.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics from loopback: %d %s", resp.StatusCode, testrig.ReadAll(t, resp))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample finds the metric of family name whose labels include labels
// (name=value pairs); nil when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's, gauge's or untyped metric's value, or a
// histogram's sample count; 0 when the series is absent.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := sample(fams, name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// After a purchase paid at the simulator, /metrics shows it: the payment
// and its amount, the processed notification, the unifiedorder call with
// its latency, the order among the PAID ones; a forged notification counts
// under its refusal code; the Go runtime is there.
func TestMetricsAfterAPurchase(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	before := scrape(t, r)
	for _, name := range []string{"go_goroutines", "wxcheckout_state_up", "wxcheckout_reconciler_lag_seconds", "wxcheckout_status_streams_open"} {
		if before[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if v := value(before, "wxcheckout_state_up"); v != 1 {
		t.Errorf("wxcheckout_state_up = %v, want 1", v)
	}
	o := r.PlaceOrder(t, "COFFEE", 2)
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, r, o)
	// A forged notification: signed with another key.
	forged := notification(t, o, func(p wxpay.Params) { p["transaction_id"] = "4200000001202611229999999999" })
	forged = []byte(strings.Replace(string(forged), "<sign>", "<sign>0", 1))
	if code, _ := postNotify(t, r, forged, "text/xml"); code < 400 {
		t.Fatalf("forged notification answered %d", code)
	}
	// The payment is visible in the database (waitPaid) a moment before
	// the notification's handler counts it: scrape until it has.
	after := scrape(t, r)
	delta := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - value(before, name, labels...)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if delta("wxcheckout_payments_total") >= 1 && delta("wxcheckout_notifications_total", "endpoint", "v2", "outcome", "processed") >= 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
		after = scrape(t, r)
	}
	if d := delta("wxcheckout_payments_total"); d != 1 {
		t.Errorf("payments_total moved by %v, want 1", d)
	}
	if d := delta("wxcheckout_payments_fen_total"); d != float64(o.TotalFee) {
		t.Errorf("payments_fen_total moved by %v, want the order's %d fen", d, o.TotalFee)
	}
	if d := delta("wxcheckout_notifications_total", "endpoint", "v2", "outcome", "processed"); d < 1 {
		t.Errorf("processed v2 notifications moved by %v, want at least 1", d)
	}
	if d := delta("wxcheckout_notifications_total", "endpoint", "v2", "outcome", "refused", "refusal", string(models.RefusalBadSign)); d != 1 {
		t.Errorf("refused %s notifications moved by %v, want 1", models.RefusalBadSign, d)
	}
	if d := delta("wxcheckout_wechat_calls_total", "api", "unifiedorder", "result", "SUCCESS"); d != 1 {
		t.Errorf("unifiedorder SUCCESS calls moved by %v, want 1", d)
	}
	h := sample(after, "wxcheckout_wechat_call_duration_seconds", "api", "unifiedorder", "result", "SUCCESS")
	if h == nil || h.Histogram.GetSampleCount() != 1 || h.Histogram.GetSampleSum() <= 0 {
		t.Errorf("unifiedorder latency histogram: %v, want one sample", h)
	}
	if v := value(after, "wxcheckout_orders", "status", "PAID"); v != 1 {
		t.Errorf("orders{status=PAID} = %v, want 1", v)
	}
	if v := value(after, "wxcheckout_orders", "status", "NOTPAY"); v != 0 {
		t.Errorf("orders{status=NOTPAY} = %v, want 0", v)
	}
	for _, state := range []string{"pending", "failed"} {
		if sample(after, "wxcheckout_merchant_notifications", "state", state) == nil {
			t.Errorf("no merchant_notifications{state=%q}", state)
		}
	}
}

// /metrics is for loopback, or for the bearer of METRICS_TOKEN from
// anywhere; a wrong token is refused even from loopback, and a request a
// local proxy forwards is not a loopback one.
func TestMetricsAccess(t *testing.T) {
	const token = "metrics-token-0123456789"
	withToken := testrig.New(t, testrig.Options{MetricsToken: token})
	noToken := testrig.New(t, testrig.Options{})
	tests := []struct {
		name   string
		rig    *testrig.Rig
		remote string
		header map[string]string
		want   int
	}{
		{"loopback", noToken, "127.0.0.1:5555", nil, http.StatusOK},
		{"loopback IPv6", noToken, "[::1]:5555", nil, http.StatusOK},
		{"remote, no token configured", noToken, "203.0.113.9:5555", nil, http.StatusForbidden},
		{"remote with a bearer, no token configured", noToken, "203.0.113.9:5555", map[string]string{"Authorization": "Bearer " + token}, http.StatusForbidden},
		{"local proxy forwarding a remote client", noToken, "127.0.0.1:5555", map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden},
		{"remote, without the token", withToken, "203.0.113.9:5555", nil, http.StatusForbidden},
		{"remote, right token", withToken, "203.0.113.9:5555", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
		{"remote, wrong token", withToken, "203.0.113.9:5555", map[string]string{"Authorization": "Bearer " + token + "x"}, http.StatusUnauthorized},
		{"remote, token not as a bearer", withToken, "203.0.113.9:5555", map[string]string{"Authorization": "Basic " + token}, http.StatusUnauthorized},
		{"loopback, wrong token", withToken, "127.0.0.1:5555", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"loopback, right token", withToken, "127.0.0.1:5555", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
		{"loopback, no token", withToken, "127.0.0.1:5555", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = tt.remote
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tt.rig.App.Config.Handler.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tt.want {
				t.Fatalf("%d %q, want %d", rec.Code, body, tt.want)
			}
			switch tt.want {
			case http.StatusOK:
				if !strings.Contains(body, "wxcheckout_orders") || !strings.Contains(body, "go_goroutines") {
					t.Errorf("200 without the metrics: %.200s", body)
				}
			case http.StatusForbidden:
				if !strings.Contains(body, "loopback") || !strings.Contains(body, "METRICS_TOKEN") {
					t.Errorf("403 body %q does not say who may scrape", body)
				}
			case http.StatusUnauthorized:
				if !strings.Contains(body, "METRICS_TOKEN") || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 body %q, WWW-Authenticate %q", body, rec.Header().Get("WWW-Authenticate"))
				}
			}
			if strings.Contains(body, token) {
				t.Error("the token is echoed")
			}
		})
	}
}
