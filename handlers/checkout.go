package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// maxQty bounds the quantity field; the service enforces its own limit too.
const maxQty = 99

// placeOrder creates the order from the chosen products and quantities only
// (repeated sku/qty pairs: the cart; one pair: the shop's buy-now form) —
// the amount comes from the products' prices in the database — with the
// buyer's details, and sends the shopper to its page. A buy-now without the
// details the shop asks for shows the checkout form for that product.
func (h *Handler) placeOrder(c *gin.Context) {
	lines, ok := formLines(c)
	if !ok {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	ask := h.svc.ShopSettings(c.Request.Context()).Ask
	fromCart := c.PostForm("from") == "cart"
	if ask.Any() && !hasBuyerFields(c) {
		h.showCheckoutForm(c, http.StatusOK, lines, fromCart, models.Buyer{}, nil)
		return
	}
	buyer := models.Buyer{Name: c.PostForm("buyer_name"), Phone: c.PostForm("buyer_phone"),
		Address: c.PostForm("buyer_address"), Note: c.PostForm("buyer_note")}
	ip, key := h.client(c)
	o, err := h.svc.PlaceOrder(c.Request.Context(), checkout.PlaceRequest{Lines: lines, Buyer: buyer, ClientIP: ip, ClientKey: key})
	if fields := checkout.FieldsOf(err); fields != nil {
		h.showCheckoutForm(c, http.StatusBadRequest, lines, fromCart, buyer, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if fromCart {
		h.saveCart(c, nil)
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// formLines reads the repeated sku and qty fields; a missing qty is 1 when
// there is one sku.
func formLines(c *gin.Context) ([]checkout.Line, bool) {
	skus, qtys := c.PostFormArray("sku"), c.PostFormArray("qty")
	if len(qtys) == 0 && len(skus) == 1 {
		qtys = []string{"1"}
	}
	if len(skus) == 0 || len(skus) != len(qtys) || len(skus) > checkout.MaxCartLines {
		return nil, false
	}
	lines := make([]checkout.Line, len(skus))
	for i, sku := range skus {
		n, err := strconv.Atoi(qtys[i])
		if sku == "" || len(sku) > 32 || err != nil || n < 1 || n > maxQty {
			return nil, false
		}
		lines[i] = checkout.Line{SKU: sku, Quantity: n}
	}
	return lines, true
}

func hasBuyerFields(c *gin.Context) bool {
	if err := c.Request.ParseForm(); err != nil {
		return false
	}
	for _, f := range []string{"buyer_name", "buyer_phone", "buyer_address", "buyer_note"} {
		if _, ok := c.Request.PostForm[f]; ok {
			return true
		}
	}
	return false
}

// showCheckoutForm renders the cart page for lines, with the buyer's
// details filled in and a message next to each field that needs one.
func (h *Handler) showCheckoutForm(c *gin.Context, status int, lines []checkout.Line, fromCart bool, b models.Buyer, fields map[string]string) {
	d, err := h.checkoutForm(c, lines, fromCart)
	if err != nil {
		h.fail(c, err)
		return
	}
	l := h.language(c)
	d.Buyer = b
	if len(fields) > 0 {
		d.Errors = make(map[string]string, len(fields))
		for f, key := range fields {
			d.Errors[f] = l.T(key)
		}
		d.Message = l.T("err_invalid_fields")
	}
	h.render(c, status, "cart", "cart_checkout_title", d)
}

// checkoutGet: a GET of /checkout (a bookmark, a language switch) goes to
// the cart rather than a 405.
func (h *Handler) checkoutGet(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/cart") }

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
