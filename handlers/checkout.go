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
	o, err := h.svc.PlaceOrder(c.Request.Context(), checkout.PlaceRequest{SKU: sku, Quantity: qty, ClientIP: c.ClientIP()})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// renew replaces an expired order with a fresh one and shows its QR.
func (h *Handler) renew(c *gin.Context) {
	o, err := h.svc.Renew(c.Request.Context(), c.Param("token"), c.ClientIP(), c.ClientIP())
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// limitCheckouts caps a client's checkouts in flight, so that one client
// cannot tie up the WeChat calls of everyone else.
func (h *Handler) limitCheckouts(c *gin.Context) {
	ip := c.ClientIP()
	if !h.checkouts.acquire(ip) {
		h.renderError(c, http.StatusTooManyRequests, msgTooMany)
		c.Abort()
		return
	}
	defer h.checkouts.release(ip)
	c.Next()
}
