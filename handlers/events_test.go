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
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", r.App.URL+"/pay/"+o.Token+"/events", nil)
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
