package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"wxcheckout/internal/loadkit"
)

type pagesResult struct {
	latency   result // notification sent → the page sees PAID
	afterAck  result // notification's reply read → the page sees PAID (≥ 0)
	rss, peak int64  // the shop's VmRSS with every page open, and its VmHWM (summed over the instances)
	before    int64  // the shop's VmRSS with the orders placed, before the pages open
}

// pagesRun opens cfg.pages payment pages as SSE clients (each its own
// shopper address, since streams are capped per client), measures the
// shop's memory with them all open, then pays each order once by
// notification and times how long after the reply the page sees PAID.
func (s *shop) pagesRun(ctx context.Context) (pagesResult, error) {
	var res pagesResult
	if s.c == nil { // -only pages,rss: no earlier run made the look-up client
		s.c = &http.Client{Transport: loadkit.NewTransport(s.cfg.senders), Timeout: 10 * time.Second}
	}
	shoppers, err := s.openShoppers(ctx, s.cfg.clients, 1<<16)
	if err != nil {
		return res, err
	}
	_, round := s.placeOrders(ctx, shoppers, s.cfg.pages)
	orders, err := s.lookup(ctx, round)
	if err != nil {
		return res, err
	}
	n := len(orders)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	raiseFileLimit()
	time.Sleep(time.Second)
	res.before = s.rss()
	s.prof.heap("pages-before-heap") // with -profile: the base of pages-open-heap (go tool pprof -diff_base)
	streams := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	pages := make([]*page, n)
	var open, ended sync.WaitGroup
	open.Add(n)
	ended.Add(n)
	for i, o := range orders {
		pages[i] = &page{token: o.token, ip: loadkit.ShopperIP(1<<17 + i)}
		// The page on the instance after the checkout's, the notification on the one after that.
		go func() { defer ended.Done(); pages[i].listen(ctx, streams, s.at(o.inst+1), open.Done) }()
	}
	if !waitGroup(&open, 60*time.Second) {
		return res, fmt.Errorf("not every page got its first event within 60 s")
	}
	if err := pagesFailed(pages); err != nil {
		return res, err
	}
	time.Sleep(time.Second) // let the shop settle before reading its memory
	res.rss = s.rss()
	for _, a := range s.apps {
		hwm, _ := loadkit.ProcStatusBytes(a.Pid(), "VmHWM")
		res.peak += hwm
	}
	fmt.Printf("suite: %d pages open, shop RSS %s\n", n, mb(res.rss))
	s.prof.heap("pages-open-heap") // with -profile: what the open pages hold

	sentAt, replied := make([]time.Time, n), make([]time.Time, n)
	s.prof.start("pages-pay")
	sent := runJobs(ctx, s.cfg.senders, n, 0, s.postNotify(orders, notifications(orders, 1<<20), sentAt, replied))
	s.prof.stop()
	if len(sent.bad) > 0 {
		return res, fmt.Errorf("notifications refused: %v", sent.bad)
	}
	if !waitGroup(&ended, 30*time.Second) {
		return res, fmt.Errorf("not every page saw PAID and its stream end within 30 s")
	}
	for i, p := range pages {
		if p.err != nil {
			return res, p.err
		}
		// The page usually sees PAID before the notifier has read the reply
		// (the shop publishes as it commits, then answers): that counts as 0.
		res.latency.lat = append(res.latency.lat, p.seen.Sub(sentAt[i]))
		res.afterAck.lat = append(res.afterAck.lat, max(0, p.seen.Sub(replied[i])))
	}
	return res, nil
}

// page is one open payment page listening to its order's events.
type page struct {
	token, ip string
	seen      time.Time // when PAID arrived
	err       error
}

// listen reads the stream: the first event calls opened, a PAID event sets
// seen, and the stream must end after it.
func (p *page) listen(ctx context.Context, c *http.Client, base string, opened func()) {
	var once sync.Once
	defer once.Do(opened)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/pay/"+p.token+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", p.ip)
	resp, err := c.Do(req)
	if err != nil {
		p.err = err
		return
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		p.err = fmt.Errorf("GET /pay/%s/events: %d %s", p.token, resp.StatusCode, ct)
		return
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if p.seen.IsZero() {
				p.err = fmt.Errorf("stream of %s ended before PAID: %v", p.token, err)
			}
			return
		}
		data, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: ")
		if !ok {
			continue
		}
		var st loadkit.Status
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			p.err = fmt.Errorf("event of %s: %v", p.token, err)
			return
		}
		once.Do(opened)
		if st.Status == "PAID" && p.seen.IsZero() {
			p.seen = time.Now()
		}
	}
}

// pagesFailed reports pages whose stream failed before its first event
// (their error is set before they count as opened).
func pagesFailed(pages []*page) error {
	failed, first := 0, error(nil)
	for _, p := range pages {
		if p.err != nil {
			if failed++; first == nil {
				first = p.err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d pages failed, first: %w", failed, first)
	}
	return nil
}

func waitGroup(wg *sync.WaitGroup, timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
