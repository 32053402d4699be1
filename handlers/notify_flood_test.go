package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// Anyone can post to the notify URL naming an order (its number is on the
// payment page). A flood of forged notifications must leave a count and a
// few typed entries — none of the sender's text — and raise no alert the
// sender chose.
func TestRefusedNotificationsAreCountedNotKept(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	before := len(events(t, r, o.OutTradeNo))
	attacker := strings.Repeat("ATTACKER-TEXT ", 1000)
	const posts = 60
	refused := 0
	for i := range posts {
		var body []byte
		if i%2 == 0 { // unsigned, with a return_msg chosen to look alarming
			body = wxpay.Encode(wxpay.Params{"return_code": "FAIL", "return_msg": "amount mismatch " + attacker,
				"out_trade_no": o.OutTradeNo})
		} else { // a forged sign, padded with attacker text
			body = []byte(strings.Replace(string(notification(t, o, func(p wxpay.Params) { p["attach"] = attacker })),
				"<bank_type><![CDATA[CMC]]>", "<bank_type><![CDATA[ICBC]]>", 1))
		}
		switch status, _ := postNotify(t, r, body, "text/xml"); status {
		case 400:
			refused++
		case 429: // the client is over its rate of refusals: turned away unread
		default:
			t.Fatalf("forged notification %d answered %d, want 400 or 429", i, status)
		}
	}
	if refused <= 5 {
		t.Fatalf("only %d notifications were read before the rate limit; the test needs more than the sample", refused)
	}
	got := r.Order(t, o.OutTradeNo)
	if got.RefusedNotifies != refused {
		t.Errorf("refused notifications counted = %d, want %d", got.RefusedNotifies, refused)
	}
	evs := events(t, r, o.OutTradeNo)
	if kept := len(evs) - before; kept < 1 || kept > 5 {
		t.Errorf("%d refused notifications kept in the timeline, want a sample of at most 5", kept)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Summary+ev.Request+ev.Response, "ATTACKER") {
			t.Fatalf("the timeline keeps attacker text: %+v", ev)
		}
		if ev.Kind == models.EventNotify && ev.Code == "" {
			t.Errorf("refused notification without a typed code: %+v", ev)
		}
	}
	p := adminGet(t, r, r.AdminBrowser(t), "/admin/orders/"+o.OutTradeNo)
	if strings.Contains(p.Body, `data-flag="amount_mismatch"`) || strings.Contains(p.Body, `data-alert="amount_mismatch"`) {
		t.Error("a forged return_msg raised an amount-mismatch alert")
	}
	if !strings.Contains(p.Body, fmt.Sprintf(`data-count="%d"`, refused)) {
		t.Error("the order page does not show the count of refused notifications")
	}
	if len(p.Body) > 64<<10 {
		t.Errorf("order page is %d bytes after a flood", len(p.Body))
	}
}

func events(t *testing.T, r *testrig.Rig, no string) []models.OrderEvent {
	t.Helper()
	evs, err := r.Svc.Events(t.Context(), r.Order(t, no))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A long timeline is shown a page at a time.
func TestOrderTimelineIsPaged(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.PlaceOrder(t, "COFFEE", 1)
	for i := len(events(t, r, o.OutTradeNo)); i < 250; i++ {
		if err := r.Store.AddEvent(t.Context(), o, &models.OrderEvent{Kind: models.EventQuery, OK: true, Summary: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	b := r.AdminBrowser(t)
	for _, tc := range []struct {
		page       string
		wantEvents int
		wantNext   bool
	}{{"", 100, true}, {"?page=2", 100, true}, {"?page=3", 50, false}} {
		p := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo+tc.page)
		if got := strings.Count(p.Body, `<li class="event `); got != tc.wantEvents {
			t.Errorf("page %q shows %d events, want %d", tc.page, got, tc.wantEvents)
		}
		if got := strings.Contains(p.Body, `rel="next"`); got != tc.wantNext {
			t.Errorf("page %q has a next link = %v, want %v", tc.page, got, tc.wantNext)
		}
	}
}
