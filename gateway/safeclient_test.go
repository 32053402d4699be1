package gateway_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"wxcheckout/gateway"
)

// merchant is a notify receiver on 127.0.0.1 that counts its requests.
func merchant(tb testing.TB) (srv *httptest.Server, hits func() int) {
	tb.Helper()
	var mu sync.Mutex
	n := 0
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "success")
	}))
	tb.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// byName is the server's URL with its IP replaced by host, which the fake
// resolver maps.
func byName(tb testing.TB, srv *httptest.Server, host, path string) string {
	tb.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = net.JoinHostPort(host, u.Port())
	u.Path = path
	return u.String()
}

func TestSafeClientDialGuard(t *testing.T) {
	srv, hits := merchant(t)
	r := newFakeResolver(map[string][]string{
		"merchant.example": {"127.0.0.1"},
		"mapped.example":   {"::ffff:127.0.0.1"},
	})
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		refused      bool
	}{
		{"literal IP refused", srv.URL + "/n", false, true},
		{"name refused", byName(t, srv, "merchant.example", "/n"), false, true},
		{"IPv4-mapped name refused", byName(t, srv, "mapped.example", "/n"), false, true},
		{"literal IP allowed", srv.URL + "/n", true, false},
		{"name allowed", byName(t, srv, "merchant.example", "/n"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits()
			c := gateway.NewSafeClient(tt.allowPrivate, r)
			resp, err := c.Get(tt.url)
			if tt.refused {
				if !errors.Is(err, gateway.ErrForbiddenAddress) {
					t.Fatalf("Get(%s) = %v, want ErrForbiddenAddress", tt.url, err)
				}
				if got := hits() - before; got != 0 {
					t.Errorf("merchant saw %d requests, want 0", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get(%s) = %v, want success", tt.url, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if !gateway.EpayDelivered(resp.StatusCode, body) {
				t.Errorf("reply %d %q, want 200 success", resp.StatusCode, body)
			}
		})
	}
}

// rebindResolver answers a public address the first time (the check at
// order creation) and loopback afterwards (the sender's dial).
type rebindResolver struct {
	mu sync.Mutex
	n  int
}

func (r *rebindResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n == 1 {
		return []net.IPAddr{{IP: net.ParseIP("203.0.113.10")}}, nil
	}
	return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
}

func TestSafeClientDNSRebinding(t *testing.T) {
	srv, hits := merchant(t)
	r := &rebindResolver{}
	u := byName(t, srv, "rebind.example", "/n")
	if err := gateway.CheckNotifyURL(context.Background(), u, false, r); err != nil {
		t.Fatalf("CheckNotifyURL at creation = %v, want nil (public then)", err)
	}
	_, err := gateway.NewSafeClient(false, r).Get(u)
	if !errors.Is(err, gateway.ErrForbiddenAddress) {
		t.Fatalf("Get after rebinding = %v, want ErrForbiddenAddress", err)
	}
	if hits() != 0 {
		t.Errorf("merchant saw %d requests, want 0", hits())
	}
}

func TestSafeClientNoRedirects(t *testing.T) {
	srv, hits := merchant(t)
	resp, err := gateway.NewSafeClient(true, newFakeResolver(nil)).Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d, want 302 returned as is", resp.StatusCode)
	}
	if hits() != 1 {
		t.Errorf("merchant saw %d requests, want 1 (redirect not followed)", hits())
	}
}

func TestSafeClientSettings(t *testing.T) {
	c := gateway.NewSafeClient(false, nil)
	if c.Timeout != gateway.NotifyTimeout || gateway.NotifyTimeout.Seconds() != 10 {
		t.Errorf("Timeout = %v, want 10s", c.Timeout)
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T, want *http.Transport", c.Transport)
	}
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set; the dial check would see the proxy, not the merchant")
	}
}
