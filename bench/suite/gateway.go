package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/internal/loadkit"
)

// The merchant gateway's runs (issue 12): the shop is started with one
// merchant app (GATEWAY_PID / GATEWAY_KEY), private notify URLs allowed and
// the per-app rate lifted; a merchant receiver in this process answers
// "success" to every epay notification whose sign verifies.
const (
	gatewayPid = "1000"
	gatewayKey = "BenchSuiteGatewayKey0123456789ab"
)

var gatewayEnv = []string{"GATEWAY_PID=" + gatewayPid, "GATEWAY_KEY=" + gatewayKey,
	"GATEWAY_ALLOW_PRIVATE_NOTIFY=1", "GATEWAY_RATE_PER_APP=1000000"}

// merchantReceiver is a shop system's notify_url.
type merchantReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  map[string]time.Time // trade_no → first acknowledged
	bad  int
	done chan struct{}
	want int
}

func newMerchantReceiver(want int) *merchantReceiver {
	m := &merchantReceiver{got: make(map[string]time.Time, want), done: make(chan struct{}), want: want}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := make(map[string]string, len(q))
		for k := range q {
			p[k] = q.Get(k)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if gateway.EpayVerify(p, gatewayKey) != nil {
			m.bad++
			http.Error(w, "bad sign", http.StatusBadRequest)
			return
		}
		if _, ok := m.got[p["trade_no"]]; !ok {
			m.got[p["trade_no"]] = time.Now()
			if len(m.got) == m.want {
				close(m.done)
			}
		}
		fmt.Fprint(w, "success")
	}))
	return m
}

// gatewayRun creates cfg.orders gateway orders through /mapi.php (timed),
// pays them all by WeChat notification, and times until the merchant has
// acknowledged every epay notification.
func (s *shop) gatewayRun(ctx context.Context) (create, deliver result, err error) {
	m := newMerchantReceiver(s.cfg.orders)
	defer m.srv.Close()
	c := &http.Client{Transport: loadkit.NewTransport(s.cfg.clients), Timeout: 10 * time.Second}
	orders := make([]order, s.cfg.orders)
	prefix := fmt.Sprintf("B%d-", time.Now().UnixNano())
	s.prof.start("gateway-create")
	create = runJobs(ctx, s.cfg.clients, s.cfg.orders, 0, func(ctx context.Context, w, i int) (int, bool) {
		no, code, err := mapiOrder(ctx, c, s.at(w), fmt.Sprintf("%s%d", prefix, i), m.srv.URL+"/notify")
		if err != nil {
			return code, false
		}
		orders[i] = order{outTradeNo: no, totalFee: 1, placed: placed{inst: w % len(s.urls)}}
		return code, true
	})
	s.prof.stop()
	if len(create.bad) > 0 {
		return create, deliver, fmt.Errorf("gateway orders failed: %v", create.bad)
	}
	fmt.Printf("suite: %d gateway orders created through /mapi.php at %.0f/s\n", len(orders), create.rate())
	s.c = &http.Client{Transport: loadkit.NewTransport(s.cfg.senders), Timeout: 10 * time.Second}
	bodies := notifications(orders, 1_000_000)
	replied := make([]time.Time, len(orders))
	s.prof.start("gateway-deliver")
	start := time.Now()
	paid := runJobs(ctx, s.cfg.senders, len(bodies), 0, s.postNotify(orders, bodies, nil, replied))
	if len(paid.bad) > 0 {
		s.prof.stop()
		return create, deliver, fmt.Errorf("notifications of gateway orders failed: %v", paid.bad)
	}
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	s.prof.stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	var last time.Time
	for i, o := range orders {
		at, ok := m.got[o.outTradeNo]
		if !ok {
			continue
		}
		deliver.lat = append(deliver.lat, at.Sub(replied[i]))
		if at.After(last) {
			last = at
		}
	}
	deliver.elapsed = last.Sub(start)
	if len(m.got) < len(orders) || m.bad > 0 {
		return create, deliver, fmt.Errorf("merchant acknowledged %d of %d notifications (%d bad signs) within 60 s",
			len(m.got), len(orders), m.bad)
	}
	return create, deliver, nil
}

// mapiOrder creates one gateway order through /mapi.php, signed as the
// plugins sign, and returns its trade_no.
func mapiOrder(ctx context.Context, c *http.Client, base, no, notifyURL string) (string, int, error) {
	p := map[string]string{"pid": gatewayPid, "type": "wxpay", "out_trade_no": no, "notify_url": notifyURL,
		"name": "bench " + no, "money": "0.01", "clientip": "203.0.113.5", "device": "pc", "sign_type": "MD5"}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	form.Set("sign", gateway.EpaySign(p, gatewayKey))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/mapi.php", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Code    int    `json:"code"`
		Msg     string `json:"msg"`
		TradeNo string `json:"trade_no"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", resp.StatusCode, err
	}
	if out.Code != 1 {
		return "", resp.StatusCode, fmt.Errorf("mapi.php: %s", out.Msg)
	}
	return out.TradeNo, resp.StatusCode, nil
}
