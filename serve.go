package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/config"
	"wxcheckout/handlers"
	"wxcheckout/metrics"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; configure it with environment variables\n%s", usage)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	a, err := newApp(cfg, newLogger(stdout, cfg.Log))
	if err != nil {
		return err
	}
	return a.run(ctx)
}

// app is the running shop. The end-to-end tests build it exactly as main does.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	ln    net.Listener
	store *store.Store
	sim   *wxpaysim.Server // the built-in simulator; nil otherwise
	svc   *checkout.Service
	srv   *http.Server
	kick  chan struct{} // wakes the delivery worker
	met   *metrics.Metrics
}

// newApp listens first, so that ADDR=:0 works and the notify URL carries the
// real port, then opens the database and wires everything. On any error
// what was opened is closed again.
func newApp(cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	var err error
	if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("ADDR %s: %w", cfg.Addr, err)
	}
	a.cfg.SetListenAddr(a.ln.Addr())
	if err := a.wire(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// wire opens the database and builds the service, the admin sign-in and
// the web side.
func (a *app) wire() (err error) {
	if a.store, err = store.OpenURL(a.cfg.DatabaseURL); err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	a.store.SetLogger(a.log.With("component", "store"))
	if a.cfg.DemoProducts {
		if err = a.store.SeedProducts(context.Background(), demoProducts); err != nil {
			return err
		}
	}
	a.met = metrics.New()
	wx, scanURL, err := a.weChat()
	if err != nil {
		return err
	}
	a.kick = make(chan struct{}, 1)
	a.svc = checkout.New(checkout.Deps{Store: a.store, WeChat: wx, SNS: a.snsClient(), Logger: a.log, Metrics: a.met, Settings: checkout.Settings{
		OrderTTL: a.cfg.OrderTTL, NotifyURL: a.cfg.NotifyEndpoint(), ServerIP: serverIP(a.cfg.Simulator),
		RefundNotifyURL:        a.cfg.RefundNotifyEndpoint(),
		MaxOpenOrdersPerClient: a.cfg.MaxOpenOrdersPerClient,
		PublicURL:              a.cfg.PublicURL, AllowPrivateNotify: a.cfg.GatewayAllowPrivateNotify,
		Devices: a.checkoutDevices(), DefaultShop: defaultShop(a.cfg.Simulator),
		Delivered: func() {
			select {
			case a.kick <- struct{}{}:
			default:
			}
		},
	}})
	a.svc.WatchMetrics(a.met, 0)
	if err := a.ensureGatewayApp(); err != nil {
		return err
	}
	adminAuth, err := a.adminAuth()
	if err != nil {
		return err
	}
	l := a.cfg.Limits
	opts := handlers.Options{ScanURL: scanURL, SecureCookies: a.cfg.SecureCookies(), Admin: a.svc, Auth: adminAuth,
		Gateway: a.svc, GatewayRatePerApp: l.GatewayRatePerApp,
		MaxCheckoutsPerClient: l.MaxCheckoutsPerClient, MaxStreamsPerClient: l.MaxStreamsPerClient,
		CheckoutRatePerClient: l.CheckoutRatePerClient, MaxStreams: l.MaxStreams,
		TrustedProxies: l.TrustedProxies, ClientIPHeader: l.ClientIPHeader,
		Metrics: a.met, MetricsToken: a.cfg.MetricsToken}
	if a.sim != nil {
		opts.Simulator = a.sim
	}
	if err := a.devicesOptions(&opts); err != nil {
		return err
	}
	h, err := handlers.New(a.svc, opts, a.log)
	if err != nil {
		return err
	}
	a.srv = &http.Server{
		Handler:           h.Routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.srv.RegisterOnShutdown(h.Close) // end status streams, or Shutdown would wait on them
	return nil
}

// ensureGatewayApp makes the merchant app of GATEWAY_PID and GATEWAY_KEY
// exist (created, or its key replaced), for containers and tests. The key is
// never logged.
func (a *app) ensureGatewayApp() error {
	if a.cfg.GatewayPid == 0 {
		return nil
	}
	app, err := a.svc.EnsureApp(context.Background(), a.cfg.GatewayPid, a.cfg.GatewayKey, "GATEWAY_PID")
	if err != nil {
		return fmt.Errorf("GATEWAY_PID %d: %w", a.cfg.GatewayPid, err)
	}
	a.log.Info("merchant app from GATEWAY_PID and GATEWAY_KEY is ready", "pid", app.Pid)
	return nil
}

// weChat builds the WeChat Pay client of WXPAY_API_VERSION: the real API,
// a simulator at WXPAY_API_BASE, or the built-in simulator mounted at /sim
// and reached over loopback like any other WeChat Pay host.
func (a *app) weChat() (checkout.WeChat, string, error) {
	base, scanURL := a.cfg.APIBase, ""
	var simKeys *wxpaysim.V3Keys
	if a.cfg.Simulator {
		if base == "" {
			var err error
			if simKeys, err = a.simV3Keys(); err != nil {
				return nil, "", err
			}
			// The simulator notifies only the shop: it is reachable by whoever
			// reaches the shop, and must not POST anywhere they ask. Its
			// orders live in the shop's database, so a restart keeps them.
			sim, err := wxpaysim.Open(context.Background(), wxpaysim.Options{AppID: a.cfg.AppID, MchID: a.cfg.MchID,
				PublicBase: strings.TrimRight(a.cfg.PublicURL, "/") + "/sim", // mweb_url: where shoppers' browsers reach it
				AppSecret:  a.cfg.Devices.MPAppSecret, MiniAppID: a.cfg.Devices.MiniAppID, MiniAppSecret: a.cfg.Devices.MiniAppSecret,
				APIKey: a.cfg.APIKey, BasePath: "/sim", Logger: a.log.With("component", "wxpaysim"),
				NotifyURLs: []string{a.cfg.NotifyEndpoint(), a.cfg.RefundNotifyEndpoint()}, State: a.store, V3Keys: simKeys})
			if err != nil {
				return nil, "", fmt.Errorf("built-in simulator: %w", err)
			}
			a.sim = sim
			base, scanURL = loopbackURL(a.ln.Addr())+"/sim", "/sim/scan"
		} else {
			scanURL = base + "/scan"
		}
	}
	if a.cfg.APIVersion == config.APIv3 {
		wx, err := a.weChatV3(base, simKeys)
		return wx, scanURL, err
	}
	cert, err := a.clientCert(base)
	if err != nil {
		return nil, "", err
	}
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: base, AppID: a.cfg.AppID, MchID: a.cfg.MchID, APIKey: a.cfg.APIKey,
		SignType: a.cfg.SignType, HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: wechatTransport()}, ClientCert: cert,
		OtherAppIDs: a.cfg.OtherAppIDs(), Observe: a.met.WeChatCall})
	return c, scanURL, err
}

// run serves until ctx ends, then lets in-flight requests finish and closes
// the database cleanly.
func (a *app) run(ctx context.Context) error {
	mode := "real WeChat Pay at " + a.cfg.APIBase
	if a.cfg.Simulator {
		mode = "WeChat Pay simulator (no merchant account needed; pay with the 「模拟扫码」 link on the payment page)"
	}
	mode = "API " + a.cfg.APIVersion + ", " + mode
	a.log.Info("wxcheckout is ready", "open", a.cfg.PublicURL+"/", "listen", a.ln.Addr().String(), "mode", mode, "database", config.RedactDatabaseURL(a.cfg.DatabaseURL),
		"notify_url", a.cfg.NotifyEndpoint())
	rctx, stopReconciler := context.WithCancel(context.Background())
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		a.svc.RunReconciler(rctx, checkout.ReconcilerOptions{Rate: a.cfg.QueryRate})
	}()
	delivered := make(chan struct{})
	go func() { defer close(delivered); a.svc.RunDeliveries(rctx, checkout.DeliveryOptions{Kick: a.kick}) }()
	followed := make(chan struct{})
	go func() { defer close(followed); a.svc.FollowChanges(rctx) }() // other instances' changes, on PostgreSQL
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		a.svc.RunRawPruner(rctx, checkout.RawPruneOptions{Retention: a.cfg.RawBodyRetention})
	}()
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		a.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = a.srv.Shutdown(sctx)
	}
	// The reconciler stops before the database closes; its state is all in
	// the database, so the next start resumes it.
	stopReconciler()
	<-reconciled
	<-delivered
	<-followed
	<-pruned
	a.close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func (a *app) close() {
	if a.sim != nil {
		a.sim.Close()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Error("close database", "err", err)
		}
	}
	if a.ln != nil {
		a.ln.Close()
	}
}

// URL is the app's base URL on loopback.
func (a *app) URL() string { return loopbackURL(a.ln.Addr()) }

func loopbackURL(addr net.Addr) string {
	port := 0
	if t, ok := addr.(*net.TCPAddr); ok {
		port = t.Port
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// serverIP is spbill_create_ip: for Native payments, the merchant server's
// own IP. The first global unicast IPv4 address stands for it.
func serverIP(simulator bool) string {
	if !simulator {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.IsGlobalUnicast() && ipn.IP.To4() != nil {
					return ipn.IP.String()
				}
			}
		}
	}
	return "127.0.0.1"
}

// defaultShop is what the shop shows until the owner saves settings: the
// demo's name only on the simulator; a real shop shows a plain name until
// its owner gives one.
func defaultShop(simulator bool) models.ShopSettings {
	if simulator {
		return models.ShopSettings{ShopName: "微信支付示例商店", ShopNameEN: "WeChat Pay demo shop", MerchantName: "示例商户 · Demo merchant"}
	}
	return models.ShopSettings{}
}

var demoProducts = []models.Product{
	{SKU: "COFFEE-250", Name: "云南小粒咖啡豆 250g", NameEN: "Yunnan coffee beans, 250 g", Description: "中度烘焙 · Medium roast", Price: 5800, Active: true},
	{SKU: "TEA-LONGJING", Name: "西湖龙井 100g", NameEN: "West Lake Longjing tea, 100 g", Description: "明前特级 · Pre-Qingming", Price: 12800, Active: true},
	{SKU: "MUG", Name: "白瓷马克杯", NameEN: "White porcelain mug", Description: "350 ml", Price: 3990, Active: true},
	{SKU: "PENNY", Name: "一分钱测试商品", NameEN: "One-fen test item", Description: "用于测试支付 · for payment tests", Price: 1, Active: true},
}

// wechatTransport keeps a connection to WeChat for each of the
// reconciler's busiest workers (checkout.ReconcilerOptions.MaxWorkers):
// the default two idle connections a host would have them redial, and
// redo TLS, on nearly every call.
func wechatTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return tr
}
