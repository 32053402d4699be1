package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

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
	if h.opt.ScanURL != "" && o.CodeURL != "" {
		d.ScanURL = h.opt.ScanURL + "?code_url=" + url.QueryEscape(o.CodeURL)
	}
	if d.State != string(models.StatusPaid) && d.State != string(models.StatusNotPay) {
		h.csrfToken(c) // the renew form
	}
	h.render(c, http.StatusOK, "pay", "pay_title", d)
}

func pageState(o *models.Order, now time.Time) string {
	if o.Status == models.StatusNotPay && o.Expired(now) {
		return "EXPIRED"
	}
	return string(o.Status)
}
