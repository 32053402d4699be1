package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

type payData struct {
	Order *models.Order
	// State is what the page shows: NOTPAY, PAID, EXPIRED, CLOSED or FAILED.
	State     string
	ExpiresMs int64
	ExpiresAt string // Beijing time, for readers without JavaScript
	PaidAt    string
	ScanURL   string
	// Merchant is set for a gateway order: the shopper came from a shop
	// system and goes back there, not to the built-in shop.
	Merchant *merchantView
	// Way is how this device pays an open order (SPEC §9).
	Way wayView
	// Items are the order's lines, named in the page's language; Buyer
	// the shipping details the shopper gave (shown on the receipt).
	Items []payItem
}

// payItem is one line of the order as the payment page shows it.
type payItem struct {
	Name     string
	Quantity int
	Amount   models.Money
}

// ForMerchant: a gateway order's page leads nowhere in the built-in shop.
func (d payData) ForMerchant() bool { return d.Merchant != nil }

// merchantView is what the payment page shows of a gateway order's merchant.
type merchantView struct {
	Name string // the merchant app's name; "" when unknown
	// ReturnURL is the paid order's return_url with the signed
	// notification parameters: the receipt's a#return, which pay.js
	// follows after 3 s. "" when there is none.
	ReturnURL string
	// BackURL is the merchant's return_url as given, unsigned: where a
	// shopper whose order expired or failed goes to order again.
	BackURL string
}

// payPage shows the QR and waits; the same page is the receipt once paid.
// pay.js polls the status and swaps in this page's fresh #app when it changes.
func (h *Handler) payPage(c *gin.Context) {
	o, err := h.svc.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	d := payData{Order: o, State: pageState(o, h.opt.Now()), ExpiresMs: o.ExpiresAt.UnixMilli(),
		ExpiresAt: o.ExpiresAt.In(wxpay.Beijing()).Format("2006-01-02 15:04:05")}
	if o.PaidAt != nil {
		d.PaidAt = o.PaidAt.In(wxpay.Beijing()).Format("2006-01-02 15:04:05")
	}
	if d.State == string(models.StatusNotPay) && !h.setUpWay(c, o, &d) {
		return // sent to WeChat's OAuth
	}
	if o.Gateway() {
		d.Merchant = h.merchantView(c, o, d.State)
	} else {
		d.Items = h.payItems(c, o)
	}
	if !o.Gateway() && d.State != string(models.StatusPaid) && d.State != string(models.StatusNotPay) {
		h.csrfToken(c) // the renew form; a gateway order is not renewed
	}
	h.render(c, http.StatusOK, "pay", "pay_title", d)
}

// payItems are the order's lines in the page's language; a failed lookup
// leaves them out (the page still shows the total and the body).
func (h *Handler) payItems(c *gin.Context, o *models.Order) []payItem {
	its, err := h.svc.OrderItems(c.Request.Context(), o)
	if err != nil {
		h.logPageLookup(c, "order items", o, err)
		return nil
	}
	lang := string(h.language(c))
	out := make([]payItem, len(its))
	for i, it := range its {
		out[i] = payItem{Name: it.DisplayName(lang), Quantity: it.Quantity, Amount: it.Amount()}
	}
	return out
}

// merchantView looks up what a gateway order's page shows of its merchant.
// A failed lookup leaves a part out rather than failing the page: the
// shopper still sees the order's state.
func (h *Handler) merchantView(c *gin.Context, o *models.Order, state string) *merchantView {
	m := &merchantView{}
	if state != string(models.StatusPaid) && state != string(models.StatusNotPay) {
		// Checked again here although creation validated it: the link must
		// never be anything but http(s).
		if _, err := gateway.ParseCallbackURL(o.ReturnURL); err == nil {
			m.BackURL = o.ReturnURL
		}
	}
	if h.opt.Gateway == nil {
		return m
	}
	ctx := c.Request.Context()
	if app, err := h.opt.Gateway.App(ctx, o.AppPid); err == nil {
		m.Name = app.Name
	} else {
		h.logPageLookup(c, "merchant app", o, err)
	}
	if state == string(models.StatusPaid) {
		if u, err := h.opt.Gateway.ReturnURL(ctx, o); err == nil {
			m.ReturnURL = u
		} else {
			h.logPageLookup(c, "return url", o, err)
		}
	}
	return m
}

func (h *Handler) logPageLookup(c *gin.Context, what string, o *models.Order, err error) {
	h.log.Warn("payment page: "+what, "out_trade_no", o.OutTradeNo, "pid", o.AppPid,
		"err", checkout.LogText(err), "request_id", c.GetString(requestIDKey))
}

func pageState(o *models.Order, now time.Time) string {
	switch {
	case o.Status == models.StatusNotPay && o.Expired(now):
		return "EXPIRED"
	case o.Status.Paid():
		return string(models.StatusPaid) // REFUND too: the page is the payment's receipt
	}
	return string(o.Status)
}
