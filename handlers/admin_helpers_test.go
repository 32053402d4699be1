package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

type adminPage struct {
	Status int
	Header http.Header
	Body   string
}

func adminGet(t *testing.T, r *testrig.Rig, b *http.Client, path string) adminPage {
	t.Helper()
	resp, err := b.Get(r.App.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return adminPage{resp.StatusCode, resp.Header, testrig.ReadAll(t, resp)}
}

func adminPost(t *testing.T, r *testrig.Rig, b *http.Client, path string, form url.Values) adminPage {
	t.Helper()
	resp, err := b.PostForm(r.App.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return adminPage{resp.StatusCode, resp.Header, testrig.ReadAll(t, resp)}
}

var adminCSRFField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// adminToken is the CSRF token the admin pages carry for b's session.
func adminToken(t *testing.T, r *testrig.Rig, b *http.Client) string {
	t.Helper()
	p := adminGet(t, r, b, "/admin/orders")
	m := adminCSRFField.FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil {
		t.Fatalf("GET /admin/orders = %d, no CSRF token", p.Status)
	}
	return m[1]
}

// act posts an admin action with the session's token and returns the order
// page it redirects to.
func adminAct(t *testing.T, r *testrig.Rig, b *http.Client, o *models.Order, action string) adminPage {
	t.Helper()
	path := "/admin/orders/" + o.OutTradeNo
	p := adminPost(t, r, b, path+"/"+action, url.Values{"csrf_token": {adminToken(t, r, b)}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != path {
		t.Fatalf("POST %s/%s = %d to %q, want 303 back to the order", path, action, p.Status, p.Header.Get("Location"))
	}
	return adminGet(t, r, b, path)
}

var adminFlashText = regexp.MustCompile(`(?s)<p id="flash" class="flash (flash-ok|flash-error)"[^>]*>(.*?)</p>`)

// adminFlash is the message on an order page: "ok: …" or "error: …".
func adminFlash(t *testing.T, p adminPage) string {
	t.Helper()
	m := adminFlashText.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no flash message on the page")
	}
	return strings.TrimPrefix(m[1], "flash-") + ": " + m[2]
}

// adminEvents are the order's admin events.
func adminEvents(t *testing.T, r *testrig.Rig, no string) []models.OrderEvent {
	t.Helper()
	evs, err := r.Svc.Events(t.Context(), r.Order(t, no))
	if err != nil {
		t.Fatal(err)
	}
	var out []models.OrderEvent
	for _, ev := range evs {
		if ev.Kind == models.EventAdmin {
			out = append(out, ev)
		}
	}
	return out
}

var beijing = wxpay.Beijing()

// paymentFor is WeChat reporting o paid at at.
func paymentFor(o *models.Order, at time.Time) checkout.Payment {
	return checkout.Payment{OutTradeNo: o.OutTradeNo, Payment: models.Payment{TransactionID: "4200000001" + o.OutTradeNo[:18],
		TotalFee: o.TotalFee, PaidAt: at, Source: "test", Actor: "test"}}
}
