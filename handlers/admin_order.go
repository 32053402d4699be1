package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// eventRow is one timeline entry; Alert marks what an admin must notice.
type eventRow struct {
	Time, Kind, Actor string
	OK                bool
	Summary           string
	Request, Response string
	Alert             string // "", "amount_mismatch" or "invalid_sign"
}

type adminOrderData struct {
	Order                              *models.Order
	Row                                orderRow
	TimeStart, Expires, Closed, Update string
	NextQuery                          string
	UnitYuan                           string
	Events                             []eventRow
	PaidAfterClose                     bool
	AmountMismatch, InvalidSign        int
	Flash                              *flash
	Actionable                         bool
}

// adminOrder shows every field of one order and its whole timeline.
func (h *Handler) adminOrder(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := h.opt.Admin.OrderByOutTradeNo(ctx, c.Param("out_trade_no"))
	if err != nil {
		h.fail(c, err)
		return
	}
	evs, err := h.opt.Admin.Events(ctx, o)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminOrderData{Order: o, Row: newOrderRow(o), TimeStart: beijingTime(o.TimeStart), Expires: beijingTime(o.ExpiresAt),
		Closed: beijingTimePtr(o.ClosedAt), Update: beijingTime(o.UpdatedAt), NextQuery: beijingTime(o.NextQueryAt),
		UnitYuan: o.UnitPrice.Yuan(), PaidAfterClose: o.HasFlag(models.FlagPaidAfterClose),
		Flash: h.takeFlash(c), Actionable: o.Status == models.StatusNotPay}
	for _, ev := range evs {
		row := eventRow{Time: beijingTime(ev.CreatedAt), Kind: ev.Kind, Actor: ev.Actor, OK: ev.OK,
			Summary: ev.Summary, Request: ev.Request, Response: ev.Response, Alert: eventAlert(&ev)}
		switch row.Alert {
		case "amount_mismatch":
			d.AmountMismatch++
		case "invalid_sign":
			d.InvalidSign++
		}
		d.Events = append(d.Events, row)
	}
	h.render(c, http.StatusOK, "admin_order", "admin_order_title", d)
}

// eventAlert spots refused notifications that look like an attack or a
// misconfiguration: a forged sign, or an amount that is not the order's.
func eventAlert(ev *models.OrderEvent) string {
	if ev.Kind != models.EventNotify || ev.OK {
		return ""
	}
	switch {
	case strings.Contains(ev.Summary, "amount mismatch"):
		return "amount_mismatch"
	case strings.Contains(ev.Summary, "invalid sign"):
		return "invalid_sign"
	}
	return ""
}
