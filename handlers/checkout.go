package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
)

// maxQty bounds the quantity field; the service enforces its own limit too.
const maxQty = 99

// placeOrder creates the order from sku and qty only — the amount is the
// product's price from the database — and sends the shopper to its page.
func (h *Handler) placeOrder(c *gin.Context) {
	qty := 1
	if v := c.PostForm("qty"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxQty {
			h.renderError(c, http.StatusBadRequest, msgBadRequest)
			return
		}
		qty = n
	}
	sku := c.PostForm("sku")
	if sku == "" || len(sku) > 32 {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	ip, key := h.client(c)
	o, err := h.svc.PlaceOrder(c.Request.Context(), checkout.PlaceRequest{SKU: sku, Quantity: qty, ClientIP: ip, ClientKey: key})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// renew replaces an expired order with a fresh one and shows its QR.
func (h *Handler) renew(c *gin.Context) {
	ip, key := h.client(c)
	o, err := h.svc.Renew(c.Request.Context(), c.Param("token"), ip, key)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// limitCheckouts caps a client's checkouts and renews in flight, so that
// one client cannot tie up the WeChat calls of everyone else.
func (h *Handler) limitCheckouts(c *gin.Context) {
	_, key := h.client(c)
	if !h.checkouts.acquire(key) {
		h.renderError(c, http.StatusTooManyRequests, msgTooMany)
		c.Abort()
		return
	}
	defer h.checkouts.release(key)
	c.Next()
}

// limitCheckoutRate caps the checkouts and renews a client starts: each
// makes an order and a payable code at WeChat.
func (h *Handler) limitCheckoutRate(c *gin.Context) {
	if _, key := h.client(c); !h.checkoutRate.allow(key) {
		c.Header("Retry-After", strconv.Itoa(max(1, 60/h.opt.CheckoutRatePerClient))) // one token's wait
		h.renderError(c, http.StatusTooManyRequests, msgOrderRate)
		c.Abort()
		return
	}
	c.Next()
}
