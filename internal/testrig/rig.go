// Package testrig is the shared test rig: a real database of the test's own
// (SQLite in a temp dir, or PostgreSQL when WXCHECKOUT_TEST_POSTGRES is
// set; see DatabaseURL), the real simulator under httptest, the real
// checkout service and the production route table with real templates, all
// on one controllable clock.
package testrig

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wxcheckout/auth"
	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/metrics"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// Clock is a test clock that moves only when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Shanghai is the zone of a merchant's server in China (UTC+8, no daylight
// saving time since 1991). The rig's clock reads in it, so that every test
// checks that nothing depends on the server's zone being UTC.
var Shanghai = time.FixedZone("CST", 8*3600)

// NewClock starts at a fixed instant, 2026-11-22 10:00 UTC, read in Shanghai.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 11, 22, 18, 0, 0, 0, Shanghai)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Rig is a running shop against a running simulator.
type Rig struct {
	Clock *Clock
	Store *store.Store
	// DatabaseURL is the DATABASE_URL of Store; DBPath is its file when it
	// is SQLite, else "".
	DatabaseURL string
	DBPath      string
	Sim         *wxpaysim.Server
	SimURL      string
	WeChat      *wxpay.Client
	// V3Keys are the simulator's v3 keys and V3 the shop's v3 client,
	// when Options.V3; nil otherwise.
	V3Keys *wxpaysim.V3Keys
	V3     *wxpayv3.Adapter
	Svc    *checkout.Service
	App    *httptest.Server
	Log    *slog.Logger
	Auth   *auth.Manager
	// Metrics is the app's GET /metrics registry.
	Metrics *metrics.Metrics
}

// AdminPassword is the rig's ADMIN_PASSWORD.
const AdminPassword = "rig-admin-password"

// Options adjust a rig.
type Options struct {
	SignType    wxpay.SignType
	RealClock   bool // use time.Now instead of the test clock
	MinCloseAge time.Duration
	Speedup     float64
	MaxStreams  int // handlers.Options.MaxStreamsPerClient
	// TrustedProxies is handlers.Options.TrustedProxies.
	TrustedProxies []string
	// ClientIPHeader, CheckoutRate, MaxStreamsTotal and MaxStreamDuration
	// are the handlers.Options of those names (CheckoutRatePerClient for
	// CheckoutRate); zero means their defaults.
	ClientIPHeader    string
	CheckoutRate      int
	MaxStreamsTotal   int
	MaxStreamDuration time.Duration
	// MaxOpenOrders is checkout.Settings.MaxOpenOrdersPerClient; 0: no cap.
	MaxOpenOrders int
	// ForbidPrivateNotify refuses merchant notify_urls on loopback and
	// private addresses, as production does; by default the rig allows
	// them, since its merchants are httptest servers on 127.0.0.1.
	ForbidPrivateNotify bool
	// GatewayRate is handlers.Options.GatewayRatePerApp; 0: its default.
	GatewayRate int
	// Log receives the shop's log lines; default TESTRIG_LOG or nowhere.
	Log *slog.Logger
	// V3 makes the checkout speak API v3 (SPEC §7) to the simulator, which
	// then holds V3Keys and signs as V3Sign says (its --v3-sign); the
	// shop's verifier knows the public key and the platform certificate,
	// as during a switch.
	V3     bool
	V3Sign string
	// MetricsToken is handlers.Options.MetricsToken (METRICS_TOKEN).
	MetricsToken string
}

// Products are the rig's catalogue.
var Products = []models.Product{
	{SKU: "COFFEE", Name: "咖啡豆", NameEN: "Coffee beans", Price: 5800, Active: true},
	{SKU: "PENNY", Name: "一分钱商品", NameEN: "One fen", Price: 1, Active: true},
}

// MustOpenStore opens a fresh database of the test's own (see DatabaseURL)
// with the rig's products, closed at cleanup.
func MustOpenStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, _ := openStore(tb)
	return s
}

func openStore(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	dbURL := DatabaseURL(tb)
	s, err := store.OpenURL(dbURL)
	if err != nil {
		tb.Fatalf("open %s: %v", redact(dbURL), err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.SeedProducts(context.Background(), Products); err != nil {
		tb.Fatal(err)
	}
	return s, dbURL
}

// New starts a rig.
func New(tb testing.TB, opt Options) *Rig {
	tb.Helper()
	r := &Rig{Clock: NewClock(), Metrics: metrics.New()}
	r.Store, r.DatabaseURL = openStore(tb)
	if path, ok := strings.CutPrefix(r.DatabaseURL, "sqlite:"); ok {
		r.DBPath = path
	}
	now := r.Clock.Now
	if opt.RealClock {
		now = time.Now
	}
	r.Log = slog.New(slog.DiscardHandler)
	if os.Getenv("TESTRIG_LOG") != "" {
		r.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opt.Log != nil {
		r.Log = opt.Log
	}
	if opt.V3 {
		r.V3Keys = SharedV3Keys(tb)
	}
	r.Sim = wxpaysim.New(wxpaysim.Options{Now: now, MinCloseAge: opt.MinCloseAge, Speedup: opt.Speedup, Logger: r.Log,
		V3Keys: r.V3Keys, V3Sign: opt.V3Sign})
	sim := httptest.NewServer(r.Sim)
	r.SimURL = sim.URL
	var h http.Handler = http.NotFoundHandler()
	r.App = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) }))
	tb.Cleanup(func() { r.App.Close(); r.Sim.Close(); sim.Close() })
	st := opt.SignType
	if st == "" {
		st = wxpay.SignHMACSHA256
	}
	// The simulator is plain HTTP: the merchant certificate refunds need is
	// never presented, but the client wants one.
	cert, err := wxpay.SelfSignedClientCert(wxpaysim.DemoMchID)
	if err != nil {
		tb.Fatal(err)
	}
	r.WeChat, err = wxpay.NewClient(wxpay.Config{BaseURL: sim.URL, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		APIKey: wxpaysim.DemoAPIKey, SignType: st, Now: now, HTTPClient: &http.Client{Timeout: 2 * time.Second}, ClientCert: cert,
		Observe: r.Metrics.WeChatCall})
	if err != nil {
		tb.Fatal(err)
	}
	var wx checkout.WeChat = r.WeChat
	notifyURL, refundURL := r.App.URL+"/wxpay/notify", r.App.URL+"/wxpay/refund-notify"
	if opt.V3 {
		notifyURL = r.App.URL + "/wxpay/v3/notify"
		refundURL = notifyURL
		r.V3 = newV3Adapter(tb, r.V3Keys, sim.URL, notifyURL, now, r.Metrics.WeChatCall)
		wx = r.V3
	}
	r.Svc = checkout.New(checkout.Deps{Store: r.Store, WeChat: wx, Logger: r.Log, Now: now, Metrics: r.Metrics,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: notifyURL, RefundNotifyURL: refundURL, ServerIP: "127.0.0.1",
			MaxOpenOrdersPerClient: opt.MaxOpenOrders, PublicURL: r.App.URL, AllowPrivateNotify: !opt.ForbidPrivateNotify}})
	r.Auth, _, err = auth.New(context.Background(), auth.Options{Store: r.Store, Password: AdminPassword, Now: now,
		Log: r.Log, Cost: bcrypt.MinCost, FailDelay: -1})
	if err != nil {
		tb.Fatal(err)
	}
	r.Svc.WatchMetrics(r.Metrics, -1) // tests read the database at every scrape
	hd, err := handlers.New(r.Svc, handlers.Options{Simulator: r.Sim, ScanURL: "/sim/scan", Now: now,
		Admin: r.Svc, Auth: r.Auth, Gateway: r.Svc, MaxStreamsPerClient: opt.MaxStreams, TrustedProxies: opt.TrustedProxies,
		ClientIPHeader: opt.ClientIPHeader, CheckoutRatePerClient: opt.CheckoutRate, MaxStreams: opt.MaxStreamsTotal,
		MaxStreamDuration: opt.MaxStreamDuration, GatewayRatePerApp: opt.GatewayRate,
		Metrics: r.Metrics, MetricsToken: opt.MetricsToken}, r.Log)
	if err != nil {
		tb.Fatal(err)
	}
	h = hd.Routes()
	return r
}

// DemoClient is a WeChat Pay client of the simulator at base, as the demo
// merchant.
func DemoClient(tb testing.TB, base string) *wxpay.Client {
	tb.Helper()
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: base, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		APIKey: wxpaysim.DemoAPIKey})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Browser is an HTTP client with cookies that does not follow redirects.
func (r *Rig) Browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// AdminBrowser is a Browser signed in to the admin console.
func (r *Rig) AdminBrowser(tb testing.TB) *http.Client {
	tb.Helper()
	b := r.Browser(tb)
	resp, err := b.Get(r.App.URL + "/admin/login")
	if err != nil {
		tb.Fatal(err)
	}
	ReadAll(tb, resp)
	form := url.Values{"password": {AdminPassword}, "csrf_token": {Cookie(tb, b, r.App.URL, "csrf")}}
	resp, err = b.PostForm(r.App.URL+"/admin/login", form)
	if err != nil {
		tb.Fatal(err)
	}
	ReadAll(tb, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		tb.Fatalf("admin login: %d to %q, want 303 to /admin", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

// Cookie is the value of the named cookie the client holds for path /admin
// (which also sees the site-wide cookies), or "".
func Cookie(tb testing.TB, c *http.Client, base, name string) string {
	tb.Helper()
	u, err := url.Parse(base + "/admin/")
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// PlaceOrder places an order through the service.
func (r *Rig) PlaceOrder(tb testing.TB, sku string, qty int) *models.Order {
	tb.Helper()
	o, err := r.Svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: sku, Quantity: qty, ClientIP: "127.0.0.1"})
	if err != nil {
		tb.Fatalf("place order: %v", err)
	}
	return o
}

// MerchantApp creates an enabled merchant app.
func (r *Rig) MerchantApp(tb testing.TB, name string) *models.MerchantApp {
	tb.Helper()
	a, err := r.Svc.CreateApp(context.Background(), name, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// Deliver sends every merchant notification due on the rig's clock, once,
// as the delivery worker does, over a plain HTTP client, and returns how
// many it attempted.
func (r *Rig) Deliver(tb testing.TB) int {
	tb.Helper()
	return r.Svc.DeliverOnce(context.Background(), &http.Client{Timeout: 5 * time.Second}, 4, 200)
}

// Order reloads an order.
func (r *Rig) Order(tb testing.TB, no string) *models.Order {
	tb.Helper()
	o, err := r.Store.OrderByOutTradeNo(context.Background(), no)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// ReadAll reads and closes a response body.
func ReadAll(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
