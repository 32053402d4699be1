package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// adminFulfil is POST /admin/orders/:out_trade_no/fulfilment: fulfilment
// (to_ship, shipped, done) and tracking_no, required when shipped. Done, it
// goes back to the order (303) with a flash; refused, it shows the order
// page again with the form as typed and what is wrong (400, an unpaid
// order's refusal too).
func (h *Handler) adminFulfil(c *gin.Context) {
	no := c.Param("out_trade_no")
	l := h.language(c)
	f := models.Fulfilment(c.PostForm("fulfilment"))
	tracking := strings.TrimSpace(c.PostForm("tracking_no"))
	o, err := h.opt.Admin.SetFulfilment(c.Request.Context(), no, f, tracking, adminSession(c).Actor)
	if err == nil {
		h.setFlash(c, flash{OK: true, Message: l.Tf("adm_fulfil_done", l.T("fulfil_"+string(o.Fulfilment)))})
		c.Redirect(http.StatusSeeOther, orderPath(no))
		return
	}
	if status := httpStatus(err); status == http.StatusNotFound || status == http.StatusInternalServerError {
		h.fail(c, err)
		return
	}
	o, lookErr := h.opt.Admin.OrderByOutTradeNo(c.Request.Context(), no)
	if lookErr != nil {
		h.fail(c, lookErr)
		return
	}
	d, pageErr := h.orderPage(c, o, 1)
	if pageErr != nil {
		h.fail(c, pageErr)
		return
	}
	d.Fulfil.Fulfilment, d.Fulfil.TrackingNo = string(f), tracking
	if d.Fulfil.Errors = checkout.FieldsOf(err); d.Fulfil.Errors == nil {
		d.Fulfil.Error = l.Error(err)
	}
	d.Fulfil.Show = true // an unpaid order: show why it was refused
	h.render(c, http.StatusBadRequest, "admin_order", "admin_order_title", d)
}
