package handlers

import (
	"io/fs"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/static"
)

// Routes is the one route table.
func (h *Handler) Routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	h.trustProxies(r)
	// The payment page's poll, registered before r.Use so that it skips the
	// chain: every open page asks once a second (pollHeaders says why).
	r.GET("/pay/:token/status", h.recover, h.pollHeaders, h.status)
	r.Use(h.requestID, h.logRequests, h.recover, h.limitBody, h.securityHeaders)

	r.GET("/", h.shop)
	r.GET("/cart", h.cartPage)
	r.POST("/cart", h.requireCSRF, h.editCart)
	r.GET("/checkout", h.checkoutGet)
	r.POST("/checkout", h.requireCSRF, h.limitCheckouts, h.limitCheckoutRate, h.placeOrder)
	r.GET("/pay/:token", h.payPage)
	r.POST("/pay/:token/renew", h.requireCSRF, h.limitCheckouts, h.limitCheckoutRate, h.renew)
	r.GET("/pay/:token/events", h.events)
	r.GET("/pay/:token/qr.png", h.qrImage)
	r.GET("/pay/:token/oauth", h.oauthReturn)
	r.POST("/pay/:token/h5", h.requireCSRF, h.limitCheckoutRate, h.h5Pay)
	r.POST("/pay/:token/check", h.requireCSRF, h.limitCheckoutRate, h.payCheck)
	r.POST("/wxpay/notify", h.limitNotifyRefusals, h.notify)
	r.POST("/wxpay/refund-notify", h.limitNotifyRefusals, h.refundNotify)
	r.POST("/wxpay/v3/notify", h.limitNotifyRefusalsV3, h.notifyV3)
	r.GET("/healthz", h.health)
	if h.opt.Metrics != nil {
		r.GET("/metrics", h.metricsAccess, gin.WrapH(h.opt.Metrics.Handler()))
	}
	r.GET("/images/:id", h.image)
	r.StaticFS("/static", filesOnly{http.FS(static.FS)})

	// The merchant gateway's epay V1 endpoints (SPEC §6), at the site root
	// because plugins append these names to the gateway's URL. mapi.php and
	// api.php answer every method with JSON, refusing what they do not take.
	if h.opt.Gateway != nil {
		r.GET("/submit.php", h.epaySubmit)
		r.POST("/submit.php", h.epaySubmit)
		r.Any("/mapi.php", h.epayMAPI)
		r.Any("/api.php", h.epayAPI)
	}

	// Admin console (issue 5): everything under /admin needs a session, and
	// every admin POST the session's CSRF token. Login uses the shop's token.
	if h.opt.Admin != nil && h.opt.Auth != nil {
		r.GET("/admin/login", h.adminLoginPage)
		r.POST("/admin/login", h.requireCSRF, h.adminLogin)
		admin := r.Group("/admin", h.requireAdmin)
		admin.GET("", h.adminHome)
		admin.POST("/logout", h.requireAdminCSRF, h.adminLogout)
		admin.GET("/orders", h.adminOrders)
		admin.GET("/orders.csv", h.adminCSV)
		admin.GET("/orders/:out_trade_no", h.adminOrder)
		admin.POST("/orders/:out_trade_no/sync", h.requireAdminCSRF, h.adminSync)
		admin.POST("/orders/:out_trade_no/close", h.requireAdminCSRF, h.adminClose)
		admin.POST("/orders/:out_trade_no/refunds", h.requireAdminCSRF, h.adminRefund)
		admin.POST("/orders/:out_trade_no/fulfilment", h.requireAdminCSRF, h.adminFulfil)
		admin.POST("/orders/:out_trade_no/deliveries/:id/resend", h.requireAdminCSRF, h.adminResendDelivery)
		admin.GET("/deliveries", h.adminDeliveries)
		admin.GET("/apps", h.adminApps)
		admin.POST("/apps", h.requireAdminCSRF, h.adminCreateApp)
		admin.GET("/apps/:pid", h.adminApp)
		admin.POST("/apps/:pid/rotate", h.requireAdminCSRF, h.adminRotateApp)
		admin.POST("/apps/:pid/enable", h.requireAdminCSRF, h.adminEnableApp)
		admin.POST("/apps/:pid/disable", h.requireAdminCSRF, h.adminDisableApp)
		// The owner's products and settings (issue 16); forms with a
		// picture are read (readUploadForm) before their token is checked.
		admin.GET("/products", h.adminProducts)
		admin.GET("/products/new", h.adminNewProduct)
		admin.POST("/products", h.readUploadForm, h.requireAdminCSRF, h.adminCreateProduct)
		admin.GET("/products/:id", h.adminProduct)
		admin.POST("/products/:id", h.readUploadForm, h.requireAdminCSRF, h.adminUpdateProduct)
		admin.POST("/products/:id/move", h.requireAdminCSRF, h.adminMoveProduct)
		admin.POST("/products/:id/active", h.requireAdminCSRF, h.adminSetProductActive)
		admin.GET("/settings", h.adminSettings)
		admin.POST("/settings", h.readUploadForm, h.requireAdminCSRF, h.adminSaveSettings)
	}

	if h.opt.Simulator != nil {
		sim := http.StripPrefix("/sim", h.opt.Simulator)
		r.Any("/sim/*path", func(c *gin.Context) {
			// The simulator plays WeChat's cashier, which sees the shopper's
			// address: the client a trusted proxy names, as the shop does.
			c.Request.RemoteAddr = net.JoinHostPort(c.ClientIP(), "0")
			sim.ServeHTTP(c.Writer, c.Request)
		})
	}
	// JSON API (SPEC §6, docs/api.md): Basic auth as a merchant app.
	if h.opt.Gateway != nil {
		api := r.Group("/api/v1", h.apiAuth)
		api.POST("/orders", h.apiCreateOrder)
		api.GET("/orders", h.apiFindOrder)
		api.GET("/orders/:trade_no", h.apiOrder)
		api.POST("/orders/:trade_no/close", h.apiCloseOrder)
		api.POST("/orders/:trade_no/refunds", h.apiRefund)
		api.POST("/miniprogram/session", h.apiMiniSession)
	}
	r.NoRoute(h.apiNoRoute, func(c *gin.Context) { h.renderError(c, http.StatusNotFound, msgNotFound) })
	r.NoMethod(h.apiNoMethod, func(c *gin.Context) { h.renderError(c, http.StatusMethodNotAllowed, msgMethod) })
	return r
}

// trustProxies lets only a trusted proxy (by default one on this host) name
// the client, and in one header only; otherwise anyone could pick the
// address that the per-client limits and the admin login limit count.
func (h *Handler) trustProxies(r *gin.Engine) {
	r.RemoteIPHeaders = []string{h.opt.ClientIPHeader}
	r.ForwardedByClientIP = len(h.opt.TrustedProxies) > 0
	if err := r.SetTrustedProxies(h.opt.TrustedProxies); err != nil {
		panic(err) // config.Load validated them
	}
}

// filesOnly serves files and hides directories, whose listings would show
// what the shop ships.
type filesOnly struct{ http.FileSystem }

func (f filesOnly) Open(name string) (http.File, error) {
	file, err := f.FileSystem.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}
