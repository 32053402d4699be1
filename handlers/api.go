package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The JSON API (SPEC §6, docs/api.md): merchant apps create, look up and
// close their orders with HTTP Basic auth (user = pid, password = key).

const apiAppKey = "api_app" // the authenticated *models.MerchantApp

// apiAuth authenticates the merchant app, or answers 401 and stops.
func (h *Handler) apiAuth(c *gin.Context) {
	pid, key, ok := c.Request.BasicAuth()
	if !ok || pid == "" {
		h.apiFail(c, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, key: "err_api_auth"})
		return
	}
	app, err := h.opt.Gateway.VerifyAppKey(c.Request.Context(), pid, key)
	if err != nil {
		if checkout.KindOf(err) != checkout.KindInternal {
			// Whatever is wrong with the credentials, it is a 401.
			err = &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, cause: err}
		}
		h.apiFail(c, err)
		return
	}
	c.Set(apiAppKey, app)
	c.Next()
}

func apiApp(c *gin.Context) *models.MerchantApp { return c.MustGet(apiAppKey).(*models.MerchantApp) }

// apiCreateOrder is POST /api/v1/orders: 201 with a new order, 200 with the
// existing one when the same out_trade_no comes again with the same amount.
func (h *Handler) apiCreateOrder(c *gin.Context) {
	app := apiApp(c)
	// Every attempt counts, repeats included: each one may call WeChat.
	if !h.allowGatewayOrder(app) {
		c.Header("Retry-After", strconv.Itoa(max(1, (60+h.opt.GatewayRatePerApp-1)/h.opt.GatewayRatePerApp)))
		h.apiFail(c, &apiError{status: http.StatusTooManyRequests, code: codeRateLimited, key: "msg_gateway_rate"})
		return
	}
	req, err := decodeOrderRequest(c)
	if err == nil {
		err = checkTradeType(req)
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	o, created, err := h.opt.Gateway.PlaceGatewayOrder(c.Request.Context(), checkout.GatewayRequest{
		App: app, OutTradeNo: req.OutTradeNo, Name: req.Name, Amount: models.Money(req.Amount),
		NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL, Param: req.Param,
		Style: models.NotifyWebhook, TTL: req.ttl(), ClientIP: c.ClientIP(),
		TradeType: req.TradeType, OpenID: req.OpenID})
	if err != nil {
		h.apiFail(c, err)
		return
	}
	var reply any = h.opt.Gateway.GatewayOrder(o)
	if req.TradeType == wxpay.TradeAPP || req.TradeType == wxpay.TradeJSAPI {
		if reply, err = h.clientPayment(c, o, req); err != nil {
			h.apiFail(c, err)
			return
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/api/v1/orders/"+o.OutTradeNo)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, reply)
}

// apiOrder is GET /api/v1/orders/:trade_no.
func (h *Handler) apiOrder(c *gin.Context) {
	o, err := h.opt.Gateway.MerchantOrder(c.Request.Context(), apiApp(c), c.Param("trade_no"), "")
	if err != nil {
		h.apiFail(c, err)
		return
	}
	h.apiOrderReply(c, http.StatusOK, o)
}

// apiFindOrder is GET /api/v1/orders?out_trade_no=…: the order by the
// merchant's own number.
func (h *Handler) apiFindOrder(c *gin.Context) {
	no := c.Query("out_trade_no")
	if no == "" {
		h.apiFail(c, &checkout.Error{Kind: checkout.KindInvalid, Key: "err_gw_missing", Args: []any{"out_trade_no"}})
		return
	}
	o, err := h.opt.Gateway.MerchantOrder(c.Request.Context(), apiApp(c), "", no)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	h.apiOrderReply(c, http.StatusOK, o)
}

// apiCloseOrder is POST /api/v1/orders/:trade_no/close. Closing an order
// that is already closed answers the order, as a repeated close should; a
// paid order, or one found paid by the query before the close, is 409.
func (h *Handler) apiCloseOrder(c *gin.Context) {
	o, err := h.opt.Gateway.CloseGatewayOrder(c.Request.Context(), apiApp(c), c.Param("trade_no"))
	alreadyClosed := o != nil && (o.Status == models.StatusClosed || o.Status == models.StatusFailed)
	switch {
	case err != nil && !(checkout.KindOf(err) == checkout.KindConflict && alreadyClosed):
		h.apiFail(c, err)
	case !alreadyClosed:
		h.apiFail(c, &checkout.Error{Kind: checkout.KindConflict, Key: "err_not_closable", Args: []any{o.Status}})
	default:
		h.apiOrderReply(c, http.StatusOK, o)
	}
}

func (h *Handler) apiOrderReply(c *gin.Context, status int, o *models.Order) {
	c.Header("Cache-Control", "no-store")
	c.JSON(status, h.opt.Gateway.GatewayOrder(o))
}

// apiNoRoute answers unknown paths under /api/ in JSON, and leaves the
// others to the error page.
func (h *Handler) apiNoRoute(c *gin.Context) {
	h.apiOnly(c, &apiError{status: http.StatusNotFound, code: codeNotFound, key: "err_api_no_route"})
}

// apiNoMethod is apiNoRoute for a known path with another method.
func (h *Handler) apiNoMethod(c *gin.Context) {
	h.apiOnly(c, &apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, key: msgMethod})
}

func (h *Handler) apiOnly(c *gin.Context, e *apiError) {
	if p := c.Request.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
		h.apiFail(c, e)
	}
}
