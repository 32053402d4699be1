package loadkit

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Shopper is one browser: its own cookies (the CSRF token), redirects not
// followed, and every request timed into Stats when set.
type Shopper struct {
	Base  string // the shop, e.g. http://127.0.0.1:8080
	C     *http.Client
	Stats *Stats
	// IP, when set, is sent as X-Forwarded-For, as a reverse proxy on the
	// shop's host would: the shop trusts loopback proxies, so each shopper
	// counts as its own client for the per-client limits.
	IP string
}

// ShopperIP is a distinct private address for shopper n, for Shopper.IP.
func ShopperIP(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

// NewShopper returns a shopper of the shop at base using transport (nil:
// a fresh keep-alive transport of its own).
func NewShopper(base string, transport http.RoundTripper, stats *Stats) *Shopper {
	jar, _ := cookiejar.New(nil)
	if transport == nil {
		transport = NewTransport(4)
	}
	return &Shopper{Base: base, Stats: stats, C: &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// NewTransport is a loopback keep-alive transport with room for conns idle
// connections per host.
func NewTransport(conns int) *http.Transport {
	return &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true}
}

// Status is the JSON of GET /pay/:token/status.
type Status struct {
	Status     string `json:"status"`
	OutTradeNo string `json:"out_trade_no"`
	TotalFee   int64  `json:"total_fee"`
	Expired    bool   `json:"expired"`
	ExpiresAt  int64  `json:"expires_at"`
}

// HTTPError is an answer with an unexpected status code.
type HTTPError struct {
	Endpoint string
	Code     int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%s: HTTP %d", e.Endpoint, e.Code) }

// do sends req, records it under endpoint and returns the body when the
// status is want.
func (s *Shopper) do(req *http.Request, endpoint string, want int) (*http.Response, []byte, error) {
	if s.IP != "" {
		req.Header.Set("X-Forwarded-For", s.IP)
	}
	start := time.Now()
	resp, err := s.C.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	s.Stats.Observe(endpoint, time.Since(start), code, err)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", endpoint, err)
	}
	if resp.StatusCode != want {
		return resp, body, &HTTPError{Endpoint: endpoint, Code: resp.StatusCode}
	}
	return resp, body, nil
}

func (s *Shopper) get(ctx context.Context, path, endpoint string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+path, nil)
	if err != nil {
		return nil, err
	}
	_, body, err := s.do(req, endpoint, http.StatusOK)
	return body, err
}

func (s *Shopper) postForm(ctx context.Context, u, endpoint string, form url.Values, want int) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req, endpoint, want)
}

// Checkout opens the shop (for the CSRF cookie) and buys qty of sku; the
// result is the payment page's token.
func (s *Shopper) Checkout(ctx context.Context, sku string, qty int) (string, error) {
	if _, err := s.get(ctx, "/", "GET /"); err != nil {
		return "", err
	}
	return s.PlaceOrder(ctx, sku, qty)
}

// PlaceOrder is the checkout form's POST alone, for a shopper who has
// opened the shop before (and so holds the CSRF cookie).
func (s *Shopper) PlaceOrder(ctx context.Context, sku string, qty int) (string, error) {
	form := url.Values{"sku": {sku}, "qty": {fmt.Sprint(qty)}, "csrf_token": {s.cookie("csrf")}}
	resp, _, err := s.postForm(ctx, s.Base+"/checkout", "POST /checkout", form, http.StatusSeeOther)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	token, ok := strings.CutPrefix(loc, "/pay/")
	if !ok || token == "" || strings.Contains(token, "/") {
		return "", fmt.Errorf("POST /checkout: redirected to %q, want /pay/:token", loc)
	}
	return token, nil
}

func (s *Shopper) cookie(name string) string {
	u, _ := url.Parse(s.Base + "/")
	for _, c := range s.C.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Status polls the order's status.
func (s *Shopper) Status(ctx context.Context, token string) (Status, error) {
	var st Status
	body, err := s.get(ctx, "/pay/"+token+"/status", "GET /pay/:token/status")
	if err == nil {
		err = json.Unmarshal(body, &st)
	}
	return st, err
}

var scanLink = regexp.MustCompile(`id="simulate-scan"[^>]* href="([^"]+)"`)

// ScanURL opens the payment page and returns its "simulate scan" link
// (absolute): the simulator's phone page for the order's code_url.
func (s *Shopper) ScanURL(ctx context.Context, token string) (string, error) {
	body, err := s.get(ctx, "/pay/"+token, "GET /pay/:token")
	if err != nil {
		return "", err
	}
	m := scanLink.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("GET /pay/%s: no simulate-scan link", token)
	}
	base, _ := url.Parse(s.Base + "/")
	ref, err := url.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return "", err
	}
	return base.ResolveReference(ref).String(), nil
}

// QR loads the payment page's QR image, as the browser does.
func (s *Shopper) QR(ctx context.Context, token string) error {
	_, err := s.get(ctx, "/pay/"+token+"/qr.png", "GET /pay/:token/qr.png")
	return err
}

// CodeURL is the code_url in a scan link.
func CodeURL(scanURL string) string {
	u, err := url.Parse(scanURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("code_url")
}

// Pay plays the shopper's phone: it posts Pay on the simulator's phone page
// behind scanURL. An order already paid answers 409, which is an error here.
func (s *Shopper) Pay(ctx context.Context, scanURL string) error {
	return s.phone(ctx, scanURL, "pay")
}

// Cancel presses Cancel on the phone page: nothing changes at WeChat.
func (s *Shopper) Cancel(ctx context.Context, scanURL string) error {
	return s.phone(ctx, scanURL, "cancel")
}

func (s *Shopper) phone(ctx context.Context, scanURL, action string) error {
	u, err := url.Parse(scanURL)
	if err != nil {
		return err
	}
	form := url.Values{"code_url": {u.Query().Get("code_url")}, "action": {action}}
	u.RawQuery = ""
	_, _, err = s.postForm(ctx, u.String(), "POST sim /scan", form, http.StatusOK)
	return err
}
