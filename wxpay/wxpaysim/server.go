// Package wxpaysim is a WeChat Pay server, v2 and v3 (SPEC §3, §7, §9), for
// tests and demos: the payment endpoints of both APIs (Native, JSAPI, H5,
// APP), WeChat's web OAuth and mini-program login, with the real
// validation and error codes, over one set of orders, a
// "phone" page that plays the shopper's WeChat app, a notifier that sends
// signed payment notifications on WeChat's retry schedule, and fault
// injection, with its orders optionally kept in a StateStore across
// restarts. All signing and XML goes through package wxpay, so the
// simulator and the client cannot drift apart on the wire format.
//
// A Server is an http.Handler. Its paths are relative to wherever it is
// mounted (strip the prefix, e.g. with http.StripPrefix, and set
// Options.BasePath so the phone page builds its own links):
//
//	POST /pay/unifiedorder, /pay/orderquery, /pay/closeorder   the v2 API
//	POST /secapi/pay/refund, /pay/refundquery                  v2 refunds (SPEC §8)
//	POST /v3/pay/transactions/native                           the v3 API (with Options.V3Keys)
//	POST /v3/pay/transactions/jsapi, /h5, /app                 v3 orders of the other devices
//	GET  /v3/pay/transactions/out-trade-no/{no}?mchid=…
//	POST /v3/pay/transactions/out-trade-no/{no}/close
//	POST /v3/refund/domestic/refunds, GET …/refunds/{no}       v3 refunds
//	GET  /scan?code_url=…, POST /scan                          the phone page
//	GET  /deliveries                                           the last notification attempts (JSON)
//	GET  /control, POST /control                               fault injection (JSON)
//	GET  /control/orders, POST /control/pay                    orders and paying from outside (JSON)
//	GET  /control/refunds                                      refunds (JSON)
//	GET  /connect/oauth2/authorize, POST (the consent)         web OAuth (SPEC §9)
//	GET  /sns/oauth2/access_token, /sns/jscode2session         codes for openids
//	POST /control/jscode                                       a mini program's js_code (JSON)
//	GET  /checkmweb, POST /checkmweb                           the H5 cashier at mweb_url
//	GET  /jsbridge.js, /jsapi/order; POST /jsapi/pay           the WeixinJSBridge stand-in
//	POST /app/pay                                              the WeChat SDK in an app
package wxpaysim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The demo merchant: the credentials the simulator accepts when none are
// configured. They are public on purpose; no real merchant has them.
const (
	DemoAppID  = "wxdeadbeefcafe0001"               // wx + 16 hex, like a real appid
	DemoMchID  = "1900000109"                       // WeChat's documentation example mch_id
	DemoAPIKey = "wxcheckout0demo0key0not0a0secret" // 32 characters, like a real APIv2 key
)

// DefaultMinCloseAge is WeChat's rule that an order cannot be closed within
// five minutes of its creation.
const DefaultMinCloseAge = 5 * time.Minute

// Options configure a Server. The zero value is a demo merchant on the real
// clock.
type Options struct {
	AppID        string // default DemoAppID
	MchID        string // default DemoMchID
	APIKey       string // default DemoAPIKey
	MerchantName string // shown on the phone page; default "wxcheckout 演示商户"

	// The merchant's apps (SPEC §9). AppID is the official account, whose
	// AppSecret the web OAuth checks (default DemoAppSecret); MiniAppID is
	// a mini program for jscode2session (defaults: AppID and AppSecret).
	// Orders may be placed for either appid.
	AppSecret     string
	MiniAppID     string
	MiniAppSecret string
	// PublicBase is the simulator's address as a browser reaches it, e.g.
	// "http://127.0.0.1:8080/sim", for the mweb_url of H5 orders; default
	// BasePath (a path on the host the browser is on).
	PublicBase string
	// ClientIP is the browser's address as the H5 cashier compares it with
	// the order's spbill_create_ip; default the connection's remote
	// address. A shop behind a reverse proxy passes the address its trusted
	// proxy names, as it does for spbill_create_ip.
	ClientIP func(*http.Request) string

	// Clock drives every time the simulator reads and every retry wait.
	// When nil, Now (or time.Now) is used with real timers.
	Clock Clock
	Now   func() time.Time

	// Speedup divides every notification retry delay; default 1.
	Speedup float64
	// MinCloseAge is how soon after creation closeorder is refused. Zero
	// means DefaultMinCloseAge; a negative value lets orders close at once.
	MinCloseAge time.Duration
	// HTTPClient sends notifications; default a client with a 5 s timeout,
	// the time WeChat gives a merchant to answer.
	HTTPClient *http.Client
	// Logger gets one line per API call and notification; default discards.
	// The API key is never logged.
	Logger *slog.Logger
	// BasePath is where the Server is mounted (e.g. "/sim"), for the links
	// and form actions of the phone page.
	BasePath string
	// NotifyURLs, when not empty, are the only notify_url values the
	// simulator accepts and posts to (compared exactly). A simulator inside
	// a shop names the shop's own notify URL here: otherwise anyone who can
	// place an order can make the server POST anywhere (SSRF). Empty: any
	// absolute URL, as a standalone simulator for other software needs.
	NotifyURLs []string

	// Bounds, so that a long-running simulator holds a bounded amount of
	// memory and connections whatever its clients do.
	//
	// MaxOrders is how many orders it keeps (default 100 000). When full, a
	// new order first evicts the oldest finished ones (paid, closed, or no
	// longer payable); when none has finished, unifiedorder answers
	// SYSTEMERROR.
	MaxOrders int
	// MaxDeliveries is how many notification attempts /deliveries keeps,
	// the newest (default 1 000).
	MaxDeliveries int
	// MaxConcurrentDeliveries is how many notification POSTs may be in
	// flight at once (default 64); the others wait their turn.
	MaxConcurrentDeliveries int

	// State keeps the orders across restarts; nil keeps them in memory
	// only. A Server with a State is made by Open, which loads it.
	State StateStore

	// V3Keys turns on API v3 beside v2 (SPEC §7): the simulator verifies
	// requests with the merchant certificate's key, signs replies and
	// notifications with the WeChat Pay public key's private half or the
	// platform key, and encrypts resources with the APIv3 key. Nil: the
	// /v3/ paths answer 404.
	V3Keys *V3Keys
	// V3Sign is what v3 replies and notifications are signed with:
	// V3SignPubKey (the default), V3SignCert, or V3SignBoth (alternating,
	// as during a switch from platform certificates to the public key).
	V3Sign string

	// RefundDelay is how long a refund stays PROCESSING before it ends
	// (SUCCESS, or ABNORMAL / CLOSED by a fault), divided by Speedup. Zero
	// means DefaultRefundDelay; a negative value ends refunds at once
	// (still after the call that made them has been answered).
	RefundDelay time.Duration
	// ClientCertRequired makes /secapi/ (the v2 refund) refuse a request
	// that did not come over TLS with a client certificate verified by the
	// server's tls.Config (see TLSFiles) and naming the merchant, as WeChat
	// refuses one without the merchant's API certificate. Off when the
	// simulator is mounted over plain HTTP, as inside the app.
	ClientCertRequired bool
}

// The values of Options.V3Sign and of `wxcheckout sim --v3-sign`.
const (
	V3SignPubKey = "pubkey"
	V3SignCert   = "cert"
	V3SignBoth   = "both"
)

// CheckV3Sign reports whether mode is a value of Options.V3Sign ("" is the default).
func CheckV3Sign(mode string) error {
	switch mode {
	case "", V3SignPubKey, V3SignCert, V3SignBoth:
		return nil
	}
	return fmt.Errorf("wxpaysim: v3 sign mode %q: want pubkey, cert or both", mode)
}

// The bounds' defaults.
const (
	DefaultMaxOrders               = 100_000
	DefaultMaxDeliveries           = 1_000
	DefaultMaxConcurrentDeliveries = 64
)

// Server is the simulated WeChat Pay. It is safe for concurrent use; Close
// stops every notification in flight.
type Server struct {
	opts  Options
	clock Clock
	log   *slog.Logger
	mux   *http.ServeMux

	ctx    context.Context // ends at Close; bounds deliveries and hung calls
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	orders     map[string]*order  // by out_trade_no
	byCode     map[string]*order  // by code_url
	byTxn      map[string]*order  // by transaction_id
	byPrepay   map[string]*order  // by prepay_id
	created    []*order           // every order, oldest first: the eviction order
	refunds    map[string]*refund // by out_refund_no, each also in its order
	deliveries deliveryLog
	faults     faultSet
	seq        int64 // the last version given to an order's state
	codes      *codeStore

	sendSlots chan struct{} // one per notification POST in flight
	v3Turn    atomic.Uint64 // counts v3 signatures, for V3SignBoth
}

// ErrClosed is returned by Pay after Close.
var ErrClosed = errors.New("wxpaysim: server closed")

// New returns a Server with opts' defaults filled in and its orders in
// memory. Options.State needs Open, which loads it and can fail; New panics
// when it is set, so that a store is never silently left unread.
func New(opts Options) *Server {
	if opts.State != nil {
		panic("wxpaysim: New with Options.State; use Open")
	}
	if err := CheckV3Sign(opts.V3Sign); err != nil {
		panic(err)
	}
	return newServer(opts)
}

func newServer(opts Options) *Server {
	opts = withDefaults(opts)
	s := &Server{
		opts:   opts,
		clock:  opts.Clock,
		log:    opts.Logger,
		codes:  newCodeStore(),
		orders: make(map[string]*order),
		byCode: make(map[string]*order),
		byTxn:  make(map[string]*order),

		byPrepay: make(map[string]*order),

		refunds: make(map[string]*refund),

		sendSlots: make(chan struct{}, opts.MaxConcurrentDeliveries),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s
}

func withDefaults(o Options) Options {
	if o.AppID == "" {
		o.AppID = DemoAppID
	}
	if o.MchID == "" {
		o.MchID = DemoMchID
	}
	if o.APIKey == "" {
		o.APIKey = DemoAPIKey
	}
	if o.AppSecret == "" {
		o.AppSecret = DemoAppSecret
	}
	if o.MiniAppID == "" {
		o.MiniAppID, o.MiniAppSecret = o.AppID, cmp.Or(o.MiniAppSecret, o.AppSecret)
	}
	if o.MiniAppSecret == "" {
		o.MiniAppSecret = o.AppSecret
	}
	if o.MerchantName == "" {
		o.MerchantName = "wxcheckout 演示商户"
	}
	if o.Clock == nil {
		o.Clock = realClock{now: o.Now}
	}
	if o.Speedup <= 0 {
		o.Speedup = 1
	}
	if o.V3Sign == "" {
		o.V3Sign = V3SignPubKey
	}
	if o.MinCloseAge == 0 {
		o.MinCloseAge = DefaultMinCloseAge
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.BasePath = strings.TrimRight(o.BasePath, "/")
	o.PublicBase = strings.TrimRight(cmp.Or(o.PublicBase, o.BasePath), "/")
	o.NotifyURLs = slices.Clone(o.NotifyURLs)
	o.MaxOrders = cmp.Or(max(o.MaxOrders, 0), DefaultMaxOrders)
	o.MaxDeliveries = cmp.Or(max(o.MaxDeliveries, 0), DefaultMaxDeliveries)
	o.MaxConcurrentDeliveries = cmp.Or(max(o.MaxConcurrentDeliveries, 0), DefaultMaxConcurrentDeliveries)
	return o
}

// routes is the one route table.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	// The API paths take every method: WeChat answers a GET with an XML
	// refusal, not with an HTTP 405.
	s.mux.Handle("/pay/unifiedorder", s.api("unifiedorder", s.unifiedOrder))
	s.mux.Handle("/pay/orderquery", s.api("orderquery", s.orderQuery))
	s.mux.Handle("/pay/closeorder", s.api("closeorder", s.closeOrder))
	s.mux.HandleFunc("GET /scan", s.scanPage)
	s.mux.HandleFunc("POST /scan", s.scanSubmit)
	s.mux.HandleFunc("GET /deliveries", s.deliveriesJSON)
	s.mux.HandleFunc("GET /control", s.controlGet)
	s.mux.HandleFunc("POST /control", s.controlPost)
	s.mux.HandleFunc("GET /control/orders", s.ordersJSON)
	s.mux.HandleFunc("POST /control/pay", s.controlPay)
	s.mux.HandleFunc("GET /control/refunds", s.refundsJSON)
	s.mux.Handle("/secapi/pay/refund", s.requireClientCert(s.api("refund", s.refund)))
	s.mux.Handle("/pay/refundquery", s.api("refundquery", s.refundQuery))
	s.v3Routes()
	s.deviceRoutes()
}

// ServeHTTP serves the simulator's paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every notification delivery and hung call, and waits for the
// delivery goroutines to end. Deliveries not yet accepted are abandoned.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// goTracked runs f in a goroutine that Close waits for, unless the server
// is closed already.
func (s *Server) goTracked(f func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return nil
}

// notifyAllowed reports whether the simulator may post notifications to url.
func (s *Server) notifyAllowed(url string) bool {
	return len(s.opts.NotifyURLs) == 0 || slices.Contains(s.opts.NotifyURLs, url)
}

// now reads the injected clock.
func (s *Server) now() time.Time { return s.clock.Now() }

// sleep waits d on the injected clock; false when the server closed first.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	select {
	case <-s.clock.After(d):
		return true
	case <-s.ctx.Done():
		return false
	}
}
