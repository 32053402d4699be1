package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/models"
)

// statusPolls counts the page's requests to the polling endpoint.
const statusPolls = `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/status")).length`

// buyOverHTTP places an order the way a browser form does and returns it.
func buyOverHTTP(t *testing.T, a *app, sku string) *models.Order {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(a.URL() + "/")
	must(t, err)
	page := readBody(t, resp)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the shop page")
	}
	resp, err = c.PostForm(a.URL()+"/checkout", url.Values{"csrf_token": {m[1]}, "sku": {sku}})
	must(t, err)
	readBody(t, resp)
	token, ok := strings.CutPrefix(resp.Header.Get("Location"), "/pay/")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("checkout = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	o, err := a.svc.OrderByToken(context.Background(), token)
	must(t, err)
	return o
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return string(b)
}

// holdStreams opens n status streams for the order and keeps them open.
func holdStreams(t *testing.T, a *app, o *models.Order, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for i := range n {
		req, _ := http.NewRequestWithContext(ctx, "GET", a.URL()+"/pay/"+o.Token+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d = %d", i+1, resp.StatusCode)
		}
		t.Cleanup(func() { resp.Body.Close() })
	}
}

// TestBrowserFallsBackToPolling refuses the page its status stream (every
// stream this client may open is taken) and checks it still turns into the
// receipt, by polling.
func TestBrowserFallsBackToPolling(t *testing.T) {
	a := startApp(t, nil)
	o := buyOverHTTP(t, a, "MUG")
	holdStreams(t, a, o, 32) // the per-client limit: the page's stream gets 429
	tab := newBrowser(t)
	must(t, chromedp.Do(tab, chromedp.Navigate(a.URL()+"/pay/"+o.Token), chromedp.WaitVisible(`#qr`)))
	must(t, a.sim.Pay(o.CodeURL))
	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#status[data-status="PAID"]`)))
	if polls := browse(t, tab, chromedp.Evaluate[int](statusPolls)); polls == 0 {
		t.Error("the page turned PAID without polling, but its stream was refused")
	}
}

// TestShutdownEndsOpenStreams: open payment pages must not hold up a
// graceful shutdown.
func TestShutdownEndsOpenStreams(t *testing.T) {
	a, stop := launchApp(t, nil)
	o := buyOverHTTP(t, a, "MUG")
	holdStreams(t, a, o, 3)
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("shutdown with open streams: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with open streams", d)
	}
}
