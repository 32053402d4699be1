package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"wxcheckout/internal/loadkit"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// shop is the running shop under test.
type shop struct {
	cfg  config
	url  string
	app  *loadkit.Proc
	c    *http.Client // notifications and look-ups
	prof *profiler
}

// order is what a notification needs of an order.
type order struct {
	token, outTradeNo string
	totalFee          int64
}

// openShoppers returns n shoppers who have opened the shop (and hold its
// CSRF cookie), each with its own client address from first on, since the
// shop caps checkouts in flight per client.
func (s *shop) openShoppers(ctx context.Context, n, first int) ([]*loadkit.Shopper, error) {
	out := make([]*loadkit.Shopper, n)
	tr := loadkit.NewTransport(n)
	for i := range out {
		out[i] = loadkit.NewShopper(s.url, tr, nil)
		out[i].IP = loadkit.ShopperIP(first + i)
		if _, err := out[i].Checkout(ctx, "PENNY", 1); err != nil { // opens the shop; the order is not counted
			return nil, err
		}
	}
	return out, nil
}

// placeOrders times n checkouts (the form's POST) from the shoppers.
func placeOrders(ctx context.Context, shoppers []*loadkit.Shopper, n int) (result, []string) {
	tokens := make([]string, n)
	r := runJobs(ctx, len(shoppers), n, 0, func(ctx context.Context, w, i int) (int, bool) {
		tok, err := shoppers[w].PlaceOrder(ctx, "PENNY", 1)
		if err != nil {
			return codeOf(err), false
		}
		tokens[i] = tok
		return http.StatusSeeOther, true
	})
	placed := tokens[:0]
	for _, t := range tokens {
		if t != "" {
			placed = append(placed, t)
		}
	}
	return r, placed
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
		r, toks := placeOrders(ctx, shoppers, min(s.cfg.round, s.cfg.orders-done))
		s.prof.stop()
		ck.merge(r)
		orders, err := s.lookup(ctx, toks)
		if err != nil {
			return ck, nt, nil, err
		}
		bodies := notifications(orders, done)
		s.prof.start(fmt.Sprintf("notify-%d", done/s.cfg.round))
		nt.merge(runJobs(ctx, s.cfg.senders, len(bodies), 0, s.postNotify(bodies, nil, nil)))
		s.prof.stop()
		tokens = append(tokens, toks...)
		fmt.Printf("suite: %d orders placed at %.0f/s and paid by notification at %.0f/s\n", len(tokens), ck.rate(), nt.rate())
	}
	return ck, nt, tokens, nil
}

// lookup reads each order's out_trade_no and amount from its status.
func (s *shop) lookup(ctx context.Context, tokens []string) ([]order, error) {
	out := make([]order, len(tokens))
	shopper := loadkit.NewShopper(s.url, s.c.Transport, nil)
	r := runJobs(ctx, s.cfg.senders, len(tokens), 0, func(ctx context.Context, _, i int) (int, bool) {
		st, err := shopper.Status(ctx, tokens[i])
		if err != nil {
			return codeOf(err), false
		}
		out[i] = order{token: tokens[i], outTradeNo: st.OutTradeNo, totalFee: st.TotalFee}
		return http.StatusOK, true
	})
	if len(r.bad) > 0 {
		return nil, fmt.Errorf("status look-ups failed: %v", r.bad)
	}
	return out, nil
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

// postNotify sends bodies[i] as WeChat does; only HTTP 200 with the SUCCESS
// XML counts. sent and replied, when set, get the times each notification
// went out and its reply was read.
func (s *shop) postNotify(bodies [][]byte, sent, replied []time.Time) job {
	return func(ctx context.Context, _, i int) (int, bool) {
		if sent != nil {
			sent[i] = time.Now()
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/wxpay/notify", bytes.NewReader(bodies[i]))
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
