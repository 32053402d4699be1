package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// timelinePageSize is how many timeline entries one page of an order shows.
const timelinePageSize = 100

// eventRow is one timeline entry; Alert marks what an admin must notice.
type eventRow struct {
	Time, Kind, Actor string
	OK                bool
	Summary           string
	Request, Response string
	Alert             models.Refusal // an alarming refusal code, or ""
	// i18n keys of the raw exchange's labels: WeChat's XML, or a merchant
	// notification and the merchant's reply.
	RawKey, RequestKey, ResponseKey string
}

type adminOrderData struct {
	Order                              *models.Order
	Row                                orderRow
	TimeStart, Expires, Closed, Update string
	NextQuery                          string
	UnitYuan                           string
	Events                             []eventRow
	PaidAfterClose, NotAtWeChat        bool
	AmountMismatchFlag                 bool
	AmountMismatch, InvalidSign        int64
	Flash                              *flash
	Actionable                         bool
	Page, Pages                        int
	PrevURL, NextURL                   string
	Merchant                           *merchantBlock // gateway orders only
	Deliveries                         []deliveryRow
	Refunds                            *refundBlock // paid orders only
}

// adminOrder shows every field of one order and its timeline, a page at a
// time (?page=, oldest first): a timeline can be long.
func (h *Handler) adminOrder(c *gin.Context) {
	ctx := c.Request.Context()
	page, err := strconv.Atoi(c.DefaultQuery("page", "1"))
	if err != nil || page < 1 || page > 1_000_000 {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	o, err := h.opt.Admin.OrderByOutTradeNo(ctx, c.Param("out_trade_no"))
	if err != nil {
		h.fail(c, err)
		return
	}
	t, err := h.opt.Admin.Timeline(ctx, o, (page-1)*timelinePageSize, timelinePageSize)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminOrderData{Order: o, Row: newOrderRow(o), TimeStart: beijingTime(o.TimeStart), Expires: beijingTime(o.ExpiresAt),
		Closed: beijingTimePtr(o.ClosedAt), Update: beijingTime(o.UpdatedAt), NextQuery: beijingTime(o.NextQueryAt),
		UnitYuan: o.UnitPrice.Yuan(), PaidAfterClose: o.HasFlag(models.FlagPaidAfterClose),
		NotAtWeChat: o.HasFlag(models.FlagNotAtWeChat), AmountMismatchFlag: o.HasFlag(models.FlagAmountMismatch),
		AmountMismatch: t.Refusals[models.RefusalAmountMismatch], InvalidSign: t.Refusals[models.RefusalBadSign],
		Flash: h.takeFlash(c), Actionable: o.Status.Open(),
		Page: page, Pages: max(1, int((t.Total+timelinePageSize-1)/timelinePageSize))}
	if o.Gateway() {
		if d.Merchant, d.Deliveries, err = h.merchantSection(ctx, o); err != nil {
			h.fail(c, err)
			return
		}
	}
	if d.Refunds, err = h.refundSection(ctx, o); err != nil {
		h.fail(c, err)
		return
	}
	base := orderPath(o.OutTradeNo)
	if page > 1 {
		d.PrevURL = fmt.Sprintf("%s?page=%d", base, page-1)
	}
	if page < d.Pages {
		d.NextURL = fmt.Sprintf("%s?page=%d", base, page+1)
	}
	for i := range t.Events {
		d.Events = append(d.Events, newEventRow(&t.Events[i]))
	}
	h.render(c, http.StatusOK, "admin_order", "admin_order_title", d)
}

// newEventRow is a timeline entry; its raw exchange is WeChat's XML, or a
// merchant notification (what was sent, never the app's key, and the start
// of the merchant's reply).
func newEventRow(ev *models.OrderEvent) eventRow {
	row := eventRow{Time: beijingTime(ev.CreatedAt), Kind: ev.Kind, Actor: ev.Actor, OK: ev.OK,
		Summary: ev.Summary, Request: ev.Request, Response: ev.Response,
		RawKey: "admin_raw_xml", RequestKey: "admin_request", ResponseKey: "admin_response"}
	if ev.Kind == models.EventDelivery {
		row.RawKey, row.RequestKey, row.ResponseKey = "admin_raw_notify", "admin_notify_sent", "admin_notify_reply"
	}
	if code := models.Refusal(ev.Code); code.Alarming() {
		row.Alert = code
	}
	return row
}
