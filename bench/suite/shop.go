package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"wxcheckout/internal/loadkit"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// shop is the running shop under test: one instance or several on one
// database.
type shop struct {
	cfg  config
	urls []string // of each instance, on loopback
	apps []*loadkit.Proc
	c    *http.Client // notifications and look-ups
	dir  string       // the run's temporary directory
	prof *profiler
}

// at is instance i's URL, round robin.
func (s *shop) at(i int) string { return s.urls[i%len(s.urls)] }

func (s *shop) kill() {
	for _, a := range s.apps {
		if a != nil {
			a.Kill()
		}
	}
}

// rss is the instances' VmRSS added up.
func (s *shop) rss() int64 {
	var sum int64
	for _, a := range s.apps {
		n, _ := a.RSS()
		sum += n
	}
	return sum
}

// placed is an order's token and the instance that took its checkout.
type placed struct {
	token string
	inst  int
}

// order is what a notification needs of an order.
type order struct {
	placed
	outTradeNo string
	totalFee   int64
}

// openShoppers returns n shoppers who have opened the shop (and hold its
// CSRF cookie), each with its own client address from first on, since the
// shop caps checkouts in flight per client; shopper i shops at instance i
// round robin.
func (s *shop) openShoppers(ctx context.Context, n, first int) ([]*loadkit.Shopper, error) {
	out := make([]*loadkit.Shopper, n)
	tr := loadkit.NewTransport(n)
	for i := range out {
		out[i] = loadkit.NewShopper(s.at(i), tr, nil)
		out[i].IP = loadkit.ShopperIP(first + i)
		if _, err := out[i].Checkout(ctx, "PENNY", 1); err != nil { // opens the shop; the order is not counted
			return nil, err
		}
	}
	return out, nil
}

// placeOrders times n checkouts (the form's POST) from the shoppers
// (opened by openShoppers: shopper w at instance w round robin).
func (s *shop) placeOrders(ctx context.Context, shoppers []*loadkit.Shopper, n int) (result, []placed) {
	out := make([]placed, n)
	r := runJobs(ctx, len(shoppers), n, 0, func(ctx context.Context, w, i int) (int, bool) {
		tok, err := shoppers[w].PlaceOrder(ctx, "PENNY", 1)
		if err != nil {
			return codeOf(err), false
		}
		out[i] = placed{tok, w % len(s.urls)}
		return http.StatusSeeOther, true
	})
	ok := out[:0]
	for _, p := range out {
		if p.token != "" {
			ok = append(ok, p)
		}
	}
	return r, ok
}

func codeOf(err error) int {
	var he *loadkit.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	return 0
}

// checkoutAndNotify places cfg.orders orders in rounds, timing the
// checkouts, and pays each round at once by notification, timing those:
// every order is paid before the reconciler's first query (10 s after
// creation), so neither run carries the reconciler's load.
func (s *shop) checkoutAndNotify(ctx context.Context) (ck, nt result, tokens []string, err error) {
	s.c = &http.Client{Transport: loadkit.NewTransport(s.cfg.senders), Timeout: 10 * time.Second}
	shoppers, err := s.openShoppers(ctx, s.cfg.clients, 0)
	if err != nil {
		return ck, nt, nil, err
	}
	for done := 0; done < s.cfg.orders; done += s.cfg.round {
		s.prof.start(fmt.Sprintf("checkout-%d", done/s.cfg.round))
		r, round := s.placeOrders(ctx, shoppers, min(s.cfg.round, s.cfg.orders-done))
		s.prof.stop()
		ck.merge(r)
		orders, err := s.lookup(ctx, round)
		if err != nil {
			return ck, nt, nil, err
		}
		bodies := notifications(orders, done)
		s.prof.start(fmt.Sprintf("notify-%d", done/s.cfg.round))
		nt.merge(s.cpuDuring(func() result {
			return runJobs(ctx, s.cfg.senders, len(bodies), 0, s.postNotify(orders, bodies, nil, nil))
		}))
		s.prof.stop()
		if err := s.checkPaid(ctx, orders); err != nil {
			return ck, nt, nil, err
		}
		for _, o := range round {
			tokens = append(tokens, o.token)
		}
		fmt.Printf("suite: %d orders placed at %.0f/s and paid by notification at %.0f/s\n", len(tokens), ck.rate(), nt.rate())
	}
	return ck, nt, tokens, nil
}

// lookup reads each order's out_trade_no and amount from its status, on
// the instance after the one that took the checkout (with one instance, on
// that one).
func (s *shop) lookup(ctx context.Context, orders []placed) ([]order, error) {
	out := make([]order, len(orders))
	r := runJobs(ctx, s.cfg.senders, len(orders), 0, func(ctx context.Context, _, i int) (int, bool) {
		st, err := loadkit.NewShopper(s.at(orders[i].inst+1), s.c.Transport, nil).Status(ctx, orders[i].token)
		if err != nil {
			return codeOf(err), false
		}
		out[i] = order{placed: orders[i], outTradeNo: st.OutTradeNo, totalFee: st.TotalFee}
		return http.StatusOK, true
	})
	if len(r.bad) > 0 {
		return nil, fmt.Errorf("status look-ups failed: %v", r.bad)
	}
	return out, nil
}

// checkPaid makes sure (untimed) that every order shows PAID on the
// instance that took its checkout, whichever instance heard of the payment.
// Other instances learn of a payment shortly after it commits (LISTEN/NOTIFY,
// then a read): an order still NOTPAY there is asked again, for up to 10 s,
// and the lag is printed.
func (s *shop) checkPaid(ctx context.Context, orders []order) error {
	start := time.Now()
	pending := orders
	for try := 0; ; try++ {
		var mu sync.Mutex
		var notPaid []order
		r := runJobs(ctx, s.cfg.senders, len(pending), 0, func(ctx context.Context, _, i int) (int, bool) {
			st, err := loadkit.NewShopper(s.at(pending[i].inst), s.c.Transport, nil).Status(ctx, pending[i].token)
			if err != nil {
				return codeOf(err), false
			}
			if st.Status != "PAID" {
				mu.Lock()
				notPaid = append(notPaid, pending[i])
				mu.Unlock()
			}
			return http.StatusOK, true
		})
		if len(r.bad) > 0 {
			return fmt.Errorf("after the notifications: status look-ups failed %v", r.bad)
		}
		if try == 0 && len(notPaid) > 0 {
			fmt.Printf("suite: %d of %d orders not yet PAID on their checkout's instance right after the notification's reply\n",
				len(notPaid), len(orders))
		}
		if len(notPaid) == 0 {
			if try > 0 {
				fmt.Printf("suite: … all PAID there %s after the first look\n", loadkit.Ms(time.Since(start)))
			}
			return nil
		}
		if time.Since(start) > 10*time.Second {
			return fmt.Errorf("%d orders not PAID on their checkout's instance 10 s after their notification, e.g. %s",
				len(notPaid), notPaid[0].token)
		}
		pending = notPaid
		time.Sleep(10 * time.Millisecond)
	}
}

// notifications are WeChat's paid notifications for orders, signed with
// the demo merchant's key as the built-in simulator signs them (HMAC-SHA256,
// no sign_type), each with its own transaction_id.
func notifications(orders []order, first int) [][]byte {
	out := make([][]byte, len(orders))
	now := wxpay.FormatTime(time.Now())
	for i, o := range orders {
		fee := strconv.FormatInt(o.totalFee, 10)
		p := wxpay.Params{
			"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
			"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(),
			"openid": "oBenchSuite000000000000000000", "is_subscribe": "N", "trade_type": "NATIVE", "bank_type": "CMC",
			"total_fee": fee, "cash_fee": fee, "fee_type": "CNY", "out_trade_no": o.outTradeNo,
			"transaction_id": fmt.Sprintf("4200%024d", first+i), "time_end": now,
		}
		p["sign"], _ = wxpay.Sign(p, wxpaysim.DemoAPIKey, wxpay.SignHMACSHA256)
		out[i] = wxpay.Encode(p)
	}
	return out
}

// postNotify sends bodies[i] (the notification of orders[i]) as WeChat
// does, to the second instance after the one that took the checkout (with
// one or two instances that wraps round); only HTTP 200 with the SUCCESS
// XML counts. sent and replied, when set, get the times each notification
// went out and its reply was read.
func (s *shop) postNotify(orders []order, bodies [][]byte, sent, replied []time.Time) job {
	return func(ctx context.Context, _, i int) (int, bool) {
		if sent != nil {
			sent[i] = time.Now()
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.at(orders[i].inst+2)+"/wxpay/notify", bytes.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "text/xml")
		resp, err := s.c.Do(req)
		if err != nil {
			return 0, false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if replied != nil {
			replied[i] = time.Now()
		}
		return resp.StatusCode, resp.StatusCode == http.StatusOK && wxpay.IsSuccessReply(body)
	}
}
