package checkout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

// Merchant notifications (SPEC §6) are written as deliveries in the same
// transaction as the change they report, and sent from here: a worker that
// reads them from the database, so a restart, a crash or another instance
// picks up whatever was not yet acknowledged. At least once, in order per
// order.

// DeliveryOptions tune the delivery worker.
type DeliveryOptions struct {
	Client  *http.Client // the merchant-calling client; gateway.NewSafeClient by default
	Tick    time.Duration
	Workers int // attempts in flight; default 32
	// Kick, when set, wakes the worker before its tick (see
	// Settings.Delivered).
	Kick <-chan struct{}
	// After, when set, replaces time.After, so tests can drive ticks.
	After func(time.Duration) <-chan time.Time
}

// RunDeliveries sends due merchant notifications until ctx ends, and
// returns when every attempt it started has finished. Up to Workers
// attempts are in flight at once, at most half of them to one merchant app,
// and a free worker takes the next due notification at once: a merchant
// that holds its connections open for the whole timeout delays nobody
// else's notifications.
func (s *Service) RunDeliveries(ctx context.Context, opt DeliveryOptions) {
	if opt.Client == nil {
		opt.Client = gateway.NewSafeClient(s.set.AllowPrivateNotify, s.set.Resolver)
	}
	if opt.Tick <= 0 {
		opt.Tick = time.Second
	}
	if opt.Workers <= 0 {
		opt.Workers = 32
	}
	if opt.After == nil {
		opt.After = time.After
	}
	f := &flight{workers: opt.Workers, perApp: max(1, opt.Workers/2), ids: map[uint]bool{}, apps: map[int64]int{},
		freed: make(chan struct{}, 1)}
	defer f.wg.Wait()
	for {
		started, more := s.dispatch(ctx, opt.Client, f)
		if started > 0 && more {
			continue // every worker busy, or more may be due: ask again
		}
		select {
		case <-ctx.Done():
			return
		case <-opt.Kick:
		case <-f.freed:
		case <-opt.After(opt.Tick):
		}
	}
}

// flight is what the delivery worker has in flight.
type flight struct {
	workers, perApp int
	wg              sync.WaitGroup
	mu              sync.Mutex
	ids             map[uint]bool
	apps            map[int64]int // attempts in flight per app
	freed           chan struct{}
}

// dispatch starts attempts of due deliveries on the free workers, and
// reports how many it started and whether to ask again at once: every
// worker is busy now, or it got all it asked for.
func (s *Service) dispatch(ctx context.Context, client *http.Client, f *flight) (started int, full bool) {
	f.mu.Lock()
	busy, room := len(f.ids), f.perApp
	var saturated []int64
	for pid, n := range f.apps {
		if n >= f.perApp {
			saturated = append(saturated, pid)
		} else {
			room = min(room, f.perApp-n)
		}
	}
	f.mu.Unlock()
	free := f.workers - busy
	if free <= 0 {
		return 0, true
	}
	// SQLite's read does not lease: what is in flight comes back and is
	// skipped. PostgreSQL's leases what it returns: it is asked for no more
	// than any app in flight has room for, so that little is leased only to
	// be given back (the loop asks again while it gets what it asked for).
	limit := free + busy
	if s.store.Shared() {
		limit = min(free, room)
	}
	due, err := s.store.DueDeliveries(ctx, s.now(), limit, saturated...)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("deliveries: due", "err", err)
		}
		return 0, false
	}
	var unstarted []uint
	for _, d := range due {
		f.mu.Lock()
		mine := f.ids[d.ID] // in flight here already (SQLite)
		ok := !mine && started < free && f.apps[d.AppPid] < f.perApp
		if ok {
			f.ids[d.ID] = true
			f.apps[d.AppPid]++
		}
		f.mu.Unlock()
		if !ok {
			if !mine {
				unstarted = append(unstarted, d.ID)
			}
			continue
		}
		started++
		f.wg.Add(1)
		go func(d models.Delivery) {
			defer f.wg.Done()
			s.deliver(ctx, client, d)
			f.mu.Lock()
			delete(f.ids, d.ID)
			if f.apps[d.AppPid]--; f.apps[d.AppPid] == 0 {
				delete(f.apps, d.AppPid)
			}
			f.mu.Unlock()
			select {
			case f.freed <- struct{}{}:
			default:
			}
		}(d)
	}
	if err := s.store.Unclaim(context.WithoutCancel(ctx), unstarted, s.now()); err != nil {
		s.log.Error("deliveries: give back", "err", err)
	}
	return started, started == free || s.store.Shared() && started == limit
}

// DeliverOnce attempts up to batch deliveries due now, workers at a time,
// waits for them, and returns how many it attempted: one pass of the
// worker, for tests and tools.
func (s *Service) DeliverOnce(ctx context.Context, client *http.Client, workers, batch int) int {
	due, err := s.store.DueDeliveries(ctx, s.now(), batch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("deliveries: due", "err", err)
		}
		return 0
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(d models.Delivery) {
			defer func() { <-sem; wg.Done() }()
			s.deliver(ctx, client, d)
		}(due[i])
	}
	wg.Wait()
	return len(due)
}

// deliver makes one attempt and records it. An attempt cut short by
// shutdown is not recorded: the delivery stays due, and is sent again after
// the restart.
func (s *Service) deliver(ctx context.Context, client *http.Client, d models.Delivery) {
	a := s.attempt(ctx, client, d)
	if ctx.Err() != nil {
		return
	}
	after := d.After(a)
	summary := fmt.Sprintf("%s to the merchant, attempt %d: ", d.Type, after.Attempts)
	switch {
	case a.OK:
		summary += fmt.Sprintf("delivered (HTTP %d)", a.Status)
	case after.State == models.DeliveryFailed:
		summary += fmt.Sprintf("failed (%s); no more resends", a.Err)
	default:
		summary += fmt.Sprintf("failed (%s); next at %s", a.Err, gateway.EpayTime(after.NextAt))
	}
	ev := &models.OrderEvent{Kind: models.EventDelivery, OK: a.OK, Actor: "notifier", Summary: summary,
		Request: a.Request, Response: a.Reply}
	if err := s.store.RecordAttempt(context.WithoutCancel(ctx), after, a.At, ev); err != nil {
		s.log.Error("deliveries: record attempt", "out_trade_no", d.OutTradeNo, "delivery", d.ID, "err", err)
		return
	}
	if !a.OK {
		s.log.Warn("merchant notification failed", "out_trade_no", d.OutTradeNo, "pid", d.AppPid, "type", d.Type,
			"attempt", after.Attempts, "reason", a.Err, "state", after.State)
	}
}

// attempt sends d once, signed with its app's key as it is now.
func (s *Service) attempt(ctx context.Context, client *http.Client, d models.Delivery) models.Attempt {
	a := models.Attempt{At: s.now()}
	app, err := s.store.AppByPid(ctx, d.AppPid)
	if err != nil {
		a.Err = "merchant app not found"
		return a
	}
	req, err := s.deliveryRequest(ctx, d, app.Key, a.At)
	if err != nil {
		a.Err = "bad notification: " + clip(err.Error())
		return a
	}
	a.Request = req.Method + " " + req.URL.String()
	if d.Style == models.NotifyWebhook {
		a.Request += "\n\n" + d.Payload
	}
	start := time.Now()
	resp, err := client.Do(req)
	a.Duration = time.Since(start)
	if err != nil {
		a.Err = attemptError(err)
		return a
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	a.Status = resp.StatusCode
	a.Reply = string(bytes.ToValidUTF8(body[:min(len(body), models.MaxReplyKept)], []byte("\uFFFD")))
	if d.Style == models.NotifyEpay {
		a.OK = gateway.EpayDelivered(resp.StatusCode, body)
		if !a.OK {
			a.Err = fmt.Sprintf("HTTP %d without \"success\"", resp.StatusCode)
		}
	} else {
		a.OK = resp.StatusCode >= 200 && resp.StatusCode <= 299
		if !a.OK {
			a.Err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
	}
	return a
}

func (s *Service) deliveryRequest(ctx context.Context, d models.Delivery, key string, now time.Time) (*http.Request, error) {
	var req *http.Request
	var err error
	switch d.Style {
	case models.NotifyEpay:
		v, perr := url.ParseQuery(d.Payload)
		if perr != nil {
			return nil, perr
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, gateway.AppendQuery(d.URL, gateway.SignEpay(v, key)), nil)
	case models.NotifyWebhook:
		body := []byte(d.Payload)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(gateway.WebhookSignatureHeader, gateway.SignWebhook(key, now, body))
		}
	default:
		return nil, fmt.Errorf("unknown style %q", d.Style)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "wxcheckout-notify/1")
	return req, nil
}

// attemptError says why no reply came, without the merchant's text.
func attemptError(err error) string {
	switch {
	case errors.Is(err, gateway.ErrForbiddenAddress):
		return "address not allowed"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Client.Timeout"):
		return "timeout"
	}
	return clip(err.Error())
}

// Deliveries lists an order's merchant notifications, oldest first.
func (s *Service) Deliveries(ctx context.Context, o *models.Order) ([]models.Delivery, error) {
	ds, err := s.store.Deliveries(ctx, o.ID)
	return ds, lookupError(err, msgOrderNotFound)
}

// FailingDeliveries lists notifications the merchants have not
// acknowledged: failed for good, or failing and still being resent.
func (s *Service) FailingDeliveries(ctx context.Context, limit int) ([]models.Delivery, error) {
	ds, err := s.store.FailingDeliveries(ctx, limit)
	return ds, lookupError(err, msgDeliveryNotFnd)
}

// ResendDelivery sends a notification again now, with its schedule
// started over: the admin's "resend".
func (s *Service) ResendDelivery(ctx context.Context, id uint, actor string) (*models.Delivery, error) {
	d, err := s.store.ResendDelivery(ctx, id, s.now(), &models.OrderEvent{Kind: models.EventDelivery, OK: true,
		Actor: actor, Summary: "merchant notification put back in the queue by " + actor})
	if err != nil {
		return nil, lookupError(err, msgDeliveryNotFnd)
	}
	if s.set.Delivered != nil {
		s.set.Delivered()
	}
	return d, nil
}
