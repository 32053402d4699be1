// Package handlers is the web side: the one route table, one file per page
// or endpoint, server-rendered templates, and the mapping of errors to HTTP.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/metrics"
	"wxcheckout/models"
)

// Checkout is what the handlers need of the business.
type Checkout interface {
	Products(ctx context.Context) ([]models.Product, error)
	PlaceOrder(ctx context.Context, r checkout.PlaceRequest) (*models.Order, error)
	Renew(ctx context.Context, token, clientIP, clientKey string) (*models.Order, error)
	OrderByToken(ctx context.Context, token string) (*models.Order, error)
	// StatusByToken is cheap: polls and streams of open pages call it.
	StatusByToken(ctx context.Context, token string) (checkout.OrderStatus, error)
	HandleNotification(ctx context.Context, body []byte) error
	// HandleRefundNotification applies a v2 refund notification.
	HandleRefundNotification(ctx context.Context, body []byte) error
	// HandleNotificationV3 is API v3's: the Wechatpay-* headers and the
	// JSON body (SPEC §7).
	HandleNotificationV3(ctx context.Context, h http.Header, body []byte) error
	Ping(ctx context.Context) error
	// Watch streams the order's status changes until cancel is called.
	Watch(outTradeNo string) (changes <-chan models.OrderStatus, cancel func())

	// The shop (SPEC §6 "Products"): the owner's settings shown on every
	// page, a cart's price, pictures, and an order's lines.
	ShopSettings(ctx context.Context) models.ShopSettings
	Quote(ctx context.Context, lines []checkout.Line) (*checkout.Quote, error)
	Image(ctx context.Context, id uint) (*models.Image, error)
	OrderItems(ctx context.Context, o *models.Order) ([]models.OrderItem, error)
}

// Options configure the web side.
type Options struct {
	// Simulator is the built-in WeChat Pay simulator, mounted at /sim; nil in real mode.
	Simulator http.Handler
	// ScanURL is where the "simulate scan" link points (the simulator's
	// phone page, before ?code_url=); "" hides the link.
	ScanURL       string
	SecureCookies bool
	Now           func() time.Time
	// Per-client limits, counted per clientKey (the IP, an IPv6 /64):
	// open status streams (payment pages), checkouts and renews in flight,
	// and checkouts and renews started per minute. Zero means the defaults.
	MaxStreamsPerClient   int
	MaxCheckoutsPerClient int
	CheckoutRatePerClient int
	// MaxStreams caps open status streams of all clients together, and
	// MaxStreamDuration the life of one (the page reconnects). Zero means
	// the defaults.
	MaxStreams        int
	MaxStreamDuration time.Duration
	// TrustedProxies may name the client in ClientIPHeader. nil means
	// loopback only; an empty, non-nil slice trusts no proxy at all.
	TrustedProxies []string
	// ClientIPHeader is the one header believed from a trusted proxy:
	// X-Forwarded-For (the default) or X-Real-IP.
	ClientIPHeader string
	// Admin and Auth serve the admin console; when either is nil the
	// /admin routes are not mounted at all.
	Admin AdminService
	Auth  AdminAuth
	// Gateway serves the merchant gateway (SPEC §6: /submit.php, /mapi.php,
	// /api.php, /api/v1); nil leaves those routes out.
	Gateway Gateway
	// GatewayRatePerApp is how many gateway orders one merchant app may
	// create per minute; zero means the default (600).
	GatewayRatePerApp int

	// Devices pays on phones (SPEC §9): JSAPI inside WeChat, H5 in other
	// mobile browsers; nil shows every device the QR and instructions.
	Devices Devices
	// PublicURL is the site's public base URL: OAuth's redirect_uri, H5's
	// redirect_url and the link to copy are built on it.
	PublicURL string
	// PageSecret keys the MACs of the OAuth state and the openid cookie;
	// the same on every instance.
	PageSecret []byte
	// JSBridgeURL is the simulator's stand-in for WeixinJSBridge, loaded
	// by the JSAPI page in simulator mode; "" in real mode.
	JSBridgeURL string
	// FormTargets are origins the payment page's forms may lead to beyond
	// its own (CSP form-action): the H5 cashier's, as the H5 button's
	// redirect goes there.
	FormTargets []string

	// Metrics serves GET /metrics and counts notifications; nil leaves the
	// route out. MetricsToken, when set, lets a scraper in from anywhere
	// with Authorization: Bearer MetricsToken (METRICS_TOKEN).
	Metrics      *metrics.Metrics
	MetricsToken string
}

// Handler serves every route.
type Handler struct {
	svc   Checkout
	opt   Options
	log   *slog.Logger
	pages *pages
	qr    *qrCache

	streams   *clientLimiter
	checkouts *clientLimiter
	// checkoutRate counts checkouts and renews started; notifyRefusals
	// counts notifications refused, per client key.
	checkoutRate   *clientRates
	notifyRefusals *clientRates
	// gatewayRate counts gateway orders created, per merchant app.
	gatewayRate *clientRates
	done        chan struct{} // closed by Close: open streams end
	open        openStreams   // hijacked streams, ended by Close
	// epayRefundLocks serialize epay refunds per order (epay_refund.go).
	epayRefundLocks [epayRefundLockCount]sync.Mutex
	closeOnce       sync.Once
	csp             string // Content-Security-Policy of every page
}

// New builds the handler; templates that do not parse are an error here,
// at start-up, not on a shopper's request.
func New(svc Checkout, opt Options, log *slog.Logger) (*Handler, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	opt = withDefaults(opt)
	return &Handler{svc: svc, opt: opt, log: log, pages: p, qr: newQRCache(4096),
		streams:        newClientLimiter(opt.MaxStreamsPerClient, opt.MaxStreams),
		checkouts:      newClientLimiter(opt.MaxCheckoutsPerClient, 0),
		checkoutRate:   newClientRates(opt.CheckoutRatePerClient, checkoutBurst, opt.Now),
		notifyRefusals: newClientRates(notifyRefusalsPerMin, notifyRefusalsPerMin, opt.Now),
		gatewayRate:    newClientRates(opt.GatewayRatePerApp, gatewayBurst(opt.GatewayRatePerApp), opt.Now),
		done:           make(chan struct{}), csp: contentSecurityPolicy(opt.FormTargets)}, nil
}

func withDefaults(o Options) Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MaxStreamsPerClient, defaultStreamsPerClient)
	def(&o.MaxStreams, defaultStreams)
	def(&o.MaxCheckoutsPerClient, defaultCheckoutsPerClient)
	def(&o.CheckoutRatePerClient, defaultCheckoutRate)
	def(&o.GatewayRatePerApp, defaultGatewayRate)
	if o.MaxStreamDuration == 0 {
		o.MaxStreamDuration = defaultStreamDuration
	}
	if o.ClientIPHeader == "" {
		o.ClientIPHeader = "X-Forwarded-For"
	}
	if o.TrustedProxies == nil {
		o.TrustedProxies = []string{"127.0.0.1", "::1"}
	}
	return o
}

// Close ends every open status stream; call it when the server shuts down,
// since http.Server.Shutdown waits for streams that never go idle.
func (h *Handler) Close() { h.closeOnce.Do(func() { close(h.done); h.open.closeAll() }) }
