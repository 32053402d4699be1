package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// stream reads status events from /pay/:token/events.
type stream struct {
	resp   *http.Response
	events chan statusBody
}

func openStream(t *testing.T, r *testrig.Rig, o *models.Order) (*stream, int) {
	t.Helper()
	return openStreamFrom(t, r, o, "")
}

// openStreamFrom opens the stream on behalf of ip, named by the rig's
// trusted loopback proxy ("" for the proxy itself).
func openStreamFrom(t *testing.T, r *testrig.Rig, o *models.Order, ip string) (*stream, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", r.App.URL+"/pay/"+o.Token+"/events", nil)
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	s := &stream{resp: resp, events: make(chan statusBody, 16)}
	go func() {
		defer close(s.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st statusBody
				if json.Unmarshal([]byte(data), &st) == nil {
					s.events <- st
				}
			}
		}
	}()
	return s, 200
}

func (s *stream) next(t *testing.T) (statusBody, bool) {
	t.Helper()
	select {
	case st, ok := <-s.events:
		return st, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return statusBody{}, false
	}
}

func TestEventsPushThePaymentAndEnd(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	s, code := openStream(t, r, o)
	if code != 200 {
		t.Fatalf("GET events = %d", code)
	}
	if st, _ := s.next(t); st.Status != "NOTPAY" || st.OutTradeNo != o.OutTradeNo || st.TotalFee != 5800 {
		t.Fatalf("first event = %+v, want the current NOTPAY status", st)
	}
	if status, reply := postNotify(t, r, notification(t, o, nil), "text/xml"); status != 200 || reply != successReply {
		t.Fatalf("notify = %d %s", status, reply)
	}
	if st, _ := s.next(t); st.Status != "PAID" {
		t.Fatalf("event after the notification = %+v, want PAID", st)
	}
	if _, open := s.next(t); open {
		t.Error("stream still open after a final status")
	}
	if n := r.Svc.Broker().Watchers(); n != 0 {
		t.Errorf("%d subscriptions left behind", n)
	}
}

func TestEventsOfAFinishedOrderEndAtOnce(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	r.Clock.Advance(16 * time.Minute)
	s, _ := openStream(t, r, o)
	if st, _ := s.next(t); st.Status != "NOTPAY" || !st.Expired {
		t.Errorf("event = %+v, want NOTPAY expired", st)
	}
	if _, open := s.next(t); open {
		t.Error("stream of an expired order stays open")
	}
}

func TestEventsLimitPerClient(t *testing.T) {
	r := testrig.New(t, testrig.Options{MaxStreams: 2})
	o := r.PlaceOrder(t, "COFFEE", 1)
	for i := range 2 {
		if _, code := openStream(t, r, o); code != 200 {
			t.Fatalf("stream %d = %d, want 200", i+1, code)
		}
	}
	if _, code := openStream(t, r, o); code != http.StatusTooManyRequests {
		t.Errorf("third stream = %d, want 429", code)
	}
	if resp, err := http.Get(r.App.URL + "/pay/nope/events"); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown token = %v %v, want 404", resp.StatusCode, err)
	}
}

func TestEventsPerClientCountIPv6Per64(t *testing.T) {
	r := testrig.New(t, testrig.Options{MaxStreams: 1})
	o := r.PlaceOrder(t, "COFFEE", 1)
	if _, code := openStreamFrom(t, r, o, "2001:db8:7:8::1"); code != 200 {
		t.Fatalf("first stream = %d", code)
	}
	if _, code := openStreamFrom(t, r, o, "2001:db8:7:8:1::2"); code != http.StatusTooManyRequests {
		t.Errorf("stream from the same /64 = %d, want 429", code)
	}
	if _, code := openStreamFrom(t, r, o, "2001:db8:7:9::1"); code != 200 {
		t.Errorf("stream from the next /64 = %d, want 200", code)
	}
}

func TestEventsLimitAcrossClients(t *testing.T) {
	r := testrig.New(t, testrig.Options{MaxStreamsTotal: 2})
	o := r.PlaceOrder(t, "COFFEE", 1)
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		if _, code := openStreamFrom(t, r, o, ip); code != 200 {
			t.Fatalf("stream from %s = %d, want 200", ip, code)
		}
	}
	if _, code := openStreamFrom(t, r, o, "198.51.100.3"); code != http.StatusTooManyRequests {
		t.Errorf("stream over the total = %d, want 429 (the page polls)", code)
	}
}

func TestEventsEndAfterTheLongestStream(t *testing.T) {
	r := testrig.New(t, testrig.Options{MaxStreamDuration: 200 * time.Millisecond})
	o := r.PlaceOrder(t, "COFFEE", 1)
	s, code := openStream(t, r, o)
	if code != 200 {
		t.Fatalf("GET events = %d", code)
	}
	if st, _ := s.next(t); st.Status != "NOTPAY" {
		t.Fatalf("first event = %+v", st)
	}
	if st, open := s.next(t); open {
		t.Errorf("stream still open past its longest duration, sent %+v", st)
	}
	if _, code := openStream(t, r, o); code != 200 { // the page reconnects
		t.Errorf("reconnect = %d, want 200", code)
	}
}

func TestStatusAndEventsTellInternalErrorsFromNotFound(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	get := func(path string) (int, string) {
		resp, err := http.Get(r.App.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, strings.TrimSpace(testrig.ReadAll(t, resp))
	}
	for _, path := range []string{"/pay/nope/status", "/pay/nope/events"} {
		if code, body := get(path); code != 404 || body != `{"error":"order not found"}` {
			t.Errorf("GET %s = %d %s, want 404 order not found", path, code, body)
		}
	}
	if err := r.Store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/pay/nope/status", "/pay/nope/events"} {
		if code, body := get(path); code != 500 || body != `{"error":"internal error"}` {
			t.Errorf("database closed: GET %s = %d %s, want 500 internal error", path, code, body)
		}
	}
}
