package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/static"
)

// Routes is the one route table.
func (h *Handler) Routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(h.requestID, h.logRequests, h.recover, h.securityHeaders)

	r.GET("/", h.shop)
	r.POST("/checkout", h.requireCSRF, h.placeOrder)
	r.GET("/pay/:token", h.payPage)
	r.POST("/pay/:token/renew", h.requireCSRF, h.renew)
	r.GET("/pay/:token/status", h.status)
	r.GET("/pay/:token/qr.png", h.qrImage)
	r.POST("/wxpay/notify", h.notify)
	r.GET("/healthz", h.health)
	r.StaticFS("/static", http.FS(static.FS))

	if h.opt.Simulator != nil {
		sim := gin.WrapH(http.StripPrefix("/sim", h.opt.Simulator))
		r.Any("/sim/*path", sim)
	}
	r.NoRoute(func(c *gin.Context) { h.renderError(c, http.StatusNotFound, msgNotFound) })
	r.NoMethod(func(c *gin.Context) { h.renderError(c, http.StatusMethodNotAllowed, msgMethod) })
	return r
}
