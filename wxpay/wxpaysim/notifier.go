package wxpaysim

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"wxcheckout/wxpay"
)

// retrySchedule is WeChat's wait before each resend of an unacknowledged
// notification: 15 resends over about 24 hours, then it gives up.
var retrySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	60 * time.Minute, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// RetrySchedule returns the waits between notification attempts before
// Speedup: attempt k+1 follows attempt k after RetrySchedule()[k-1].
func RetrySchedule() []time.Duration { return slices.Clone(retrySchedule) }

// notice is one payment's notification, built once when the order is paid
// so that every resend carries the same fields.
type notice struct {
	outTradeNo string
	url        string
	fields     wxpay.Params // unsigned
	signType   wxpay.SignType
	v3         *v3Notice // a v3 order's notification; fields and signType are then unused

	// A refund's notification (SPEC §8) has its out_refund_no; in v2 its
	// fields are the plaintext of req_info, the XML around it unsigned.
	outRefundNo string
	refundInfo  wxpay.Params
}

// notification builds the fields of o's payment notification. sign_type
// is left out, as WeChat leaves it out for HMAC-SHA256 orders; merchants
// tell the algorithm by the sign's length. Guarded by s.mu.
func (s *Server) notification(o *order) notice {
	if o.v3 {
		return s.v3Notification(o)
	}
	p := o.paidFields()
	p["return_code"], p["return_msg"], p["result_code"] = "SUCCESS", "OK", "SUCCESS"
	p["appid"], p["mch_id"], p["nonce_str"] = s.orderAppID(o), s.opts.MchID, wxpay.NewNonce()
	p["out_trade_no"] = o.outTradeNo()
	if d := o.fields["device_info"]; d != "" {
		p["device_info"] = d
	}
	return notice{outTradeNo: o.outTradeNo(), url: o.fields["notify_url"], fields: p, signType: o.signType}
}

func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.opts.Speedup)
}

// deliver sends n until the merchant acknowledges it or the schedule runs
// out. It runs in its own goroutine, tracked for Close.
func (s *Server) deliver(n notice, plan deliveryPlan) {
	if plan.dropAll {
		s.record(Delivery{OutTradeNo: n.outTradeNo, OutRefundNo: n.outRefundNo, Attempt: 1, Time: s.now(), URL: n.url, Fault: string(FaultDropAll)})
		return
	}
	h := plan.held
	if h != nil {
		select {
		case <-h.release:
		case <-s.ctx.Done():
			return
		}
	}
	s.notifyFrom(n, 1, h)
}

// resume continues the notification of a paid order loaded by Open, which
// had made attempts attempts, the last at last: the next one comes when the
// schedule says, or at once if that time passed while the simulator was down.
func (s *Server) resume(n notice, attempts int, last time.Time) {
	if attempts > len(retrySchedule) {
		s.endNotify(n)
		return
	}
	if attempts > 0 && !s.sleep(last.Add(s.scaled(retrySchedule[attempts-1])).Sub(s.now())) {
		return
	}
	s.notifyFrom(n, attempts+1, nil)
}

// notifyFrom makes attempts from number first on, waiting the schedule
// between them, until one is acknowledged or the schedule runs out. h, when
// not nil, is the reorder hold of attempt first.
func (s *Server) notifyFrom(n notice, first int, h *heldNotice) {
	for attempt := first; ; attempt++ {
		held := h != nil && attempt == first
		if !s.notifyAllowed(n.url) {
			s.refuseURL(n, attempt)
			if held {
				close(h.sent) // the reorder batch goes on without it
			}
			s.endNotify(n)
			return
		}
		ok := s.attempt(n, attempt, held)
		if held {
			close(h.sent)
		}
		if ok {
			return
		}
		if attempt > len(retrySchedule) {
			s.log.Warn("wxpaysim notify: giving up", "out_trade_no", n.outTradeNo, "attempts", attempt)
			s.endNotify(n)
			return
		}
		if !s.sleep(s.scaled(retrySchedule[attempt-1])) {
			return
		}
	}
}

// endNotify records that no more attempts will be made for an order, so
// that a restart does not resume them.
func (s *Server) endNotify(n notice) {
	if n.outRefundNo != "" {
		return // a refund's notification is not resumed after a restart anyway
	}
	s.mu.Lock()
	var saved *savedOrder
	if o := s.orders[n.outTradeNo]; o != nil && !o.notifyEnded {
		o.notifyEnded = true
		saved = s.changed(o)
	}
	s.mu.Unlock()
	_ = s.persist(saved) // logged
}

// errNotifyURL is recorded when an order's notify_url is not (or no longer)
// one of Options.NotifyURLs: nothing is sent to it, now or later.
const errNotifyURL = "notify_url not allowed by this simulator; notification abandoned"

func (s *Server) refuseURL(n notice, attempt int) {
	s.record(Delivery{OutTradeNo: n.outTradeNo, OutRefundNo: n.outRefundNo, Attempt: attempt, Time: s.now(), URL: n.url, Error: errNotifyURL})
}

// attempt makes one delivery attempt, applying the pending faults, and
// reports whether the merchant acknowledged it.
func (s *Server) attempt(n notice, num int, reordered bool) bool {
	a := s.takeAttemptFaults(n.v3 != nil)
	if reordered {
		a.names = append(a.names, string(FaultReorder))
	}
	fault := strings.Join(a.names, ",")
	if a.drop {
		s.record(Delivery{OutTradeNo: n.outTradeNo, OutRefundNo: n.outRefundNo, Attempt: num, Time: s.now(), URL: n.url, Fault: fault})
		return false
	}
	if a.delay > 0 && !s.sleep(a.delay) {
		return false
	}
	body := s.noticeMessage(n, a)
	if a.copies == 1 {
		return s.post(n, Delivery{Attempt: num, Fault: fault}, body)
	}
	var wg sync.WaitGroup
	acks := make([]bool, a.copies)
	for i := range acks {
		wg.Go(func() { acks[i] = s.post(n, Delivery{Attempt: num, Copy: i + 1, Fault: fault}, body) })
	}
	wg.Wait()
	return slices.Contains(acks, true)
}

// outgoing is one signed notification, ready to post.
type outgoing struct {
	body   []byte
	header http.Header
	err    error // it could not be made; nothing is sent
}

// noticeMessage signs n for one attempt with its faults applied.
func (s *Server) noticeMessage(n notice, a attemptFaults) outgoing {
	if n.v3 != nil {
		return s.v3Message(n.v3, a)
	}
	if n.refundInfo != nil {
		return s.refundMessage(n, a)
	}
	h := http.Header{}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	return outgoing{body: s.signNotice(n, a), header: h}
}

func (s *Server) signNotice(n notice, a attemptFaults) []byte {
	p := maps.Clone(n.fields)
	if a.wrongAmount {
		fee, _ := p.Int64("total_fee")
		p["total_fee"] = strconv.FormatInt(fee+1, 10)
	}
	key := s.opts.APIKey
	if a.badSign {
		key += "-not-the-key" // a well-formed sign that does not verify
	}
	p["sign"], _ = wxpay.Sign(p, key, n.signType) // the order's sign type was parsed: cannot fail
	return wxpay.Encode(p)
}

// post sends one copy of a notification and records it. In v2 only a 2xx
// answer carrying the SUCCESS XML counts; "success", JSON, HTML or a FAIL
// XML are all "not received", as at WeChat. In v3 HTTP 200 or 204 counts,
// whatever the body.
func (s *Server) post(n notice, d Delivery, m outgoing) bool {
	select {
	case s.sendSlots <- struct{}{}:
		defer func() { <-s.sendSlots }()
	case <-s.ctx.Done():
		return false // closing: abandoned like every other delivery
	}
	d.OutTradeNo, d.OutRefundNo, d.URL, d.Time = n.outTradeNo, n.outRefundNo, n.url, s.now()
	err := m.err
	var req *http.Request
	if err == nil {
		req, err = http.NewRequestWithContext(s.ctx, http.MethodPost, n.url, bytes.NewReader(m.body))
	}
	if err == nil {
		maps.Copy(req.Header, m.header)
		req.Header.Set("User-Agent", "Mozilla/4.0 (wxpaysim)")
		var resp *http.Response
		if resp, err = s.opts.HTTPClient.Do(req); err == nil {
			reply, rerr := io.ReadAll(io.LimitReader(resp.Body, wxpay.MaxBodySize+1))
			_ = resp.Body.Close()
			d.HTTPStatus, d.Reply = resp.StatusCode, snippet(reply)
			d.Accepted = rerr == nil && acknowledged(n.v3 != nil, resp.StatusCode, reply)
		}
	}
	if err != nil {
		d.Error = err.Error()
	}
	s.record(d)
	return d.Accepted
}

// acknowledged reports whether a merchant's answer accepts a notification.
func acknowledged(v3 bool, status int, reply []byte) bool {
	if v3 {
		return status == http.StatusOK || status == http.StatusNoContent
	}
	return status/100 == 2 && wxpay.IsSuccessReply(reply)
}

func snippet(b []byte) string {
	const max = 256
	if len(b) > max {
		b = b[:max]
	}
	return strings.ToValidUTF8(string(b), "")
}
