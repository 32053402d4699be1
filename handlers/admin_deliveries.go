package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// Merchant notifications in the admin console (SPEC §6 "Never lost"): the
// merchant block and the notifications of a gateway order's page, the
// resend action, and the list of deliveries the merchants have not
// acknowledged. The app's key is never read into these pages' data.

// failingListLimit is how many failing deliveries /admin/deliveries shows.
const failingListLimit = 200

// merchantBlock is what a gateway order keeps of its merchant.
type merchantBlock struct {
	Pid                                   int64
	AppName                               string // "" when the app is gone
	OutTradeNo                            string // the merchant's
	ItemName, NotifyURL, ReturnURL, Param string
	StyleKey                              string // i18n key of the notification style
}

// deliveryRow is one merchant notification, on the order page or in the
// failing list.
type deliveryRow struct {
	ID                 uint
	OutTradeNo         string
	Pid                int64
	AppName            string
	Type               string
	Webhook            bool
	EventID            string
	State              models.DeliveryState
	Retrying           bool // pending after failed attempts
	Attempts           int
	LastStatus         int
	LastError          string
	NextAt, Delivered  string // Beijing time; NextAt only while pending
	URL                string
	ResendPath         string
	OrderPath          string
	StateKey, StyleKey string
}

type adminDeliveriesData struct {
	Rows  []deliveryRow
	Full  bool // the list was cut at failingListLimit
	Limit int
	Flash *flash
}

func styleKey(s models.NotifyStyle) string { return "admin_notify_style_" + string(s) }

func newDeliveryRow(d *models.Delivery) deliveryRow {
	order := orderPath(d.OutTradeNo)
	r := deliveryRow{ID: d.ID, OutTradeNo: d.OutTradeNo, Pid: d.AppPid, Type: d.Type, Webhook: d.Style == models.NotifyWebhook,
		EventID: d.EventID, State: d.State, Retrying: d.State == models.DeliveryPending && d.Failures > 0,
		Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, Delivered: beijingTimePtr(d.DeliveredAt),
		URL: d.URL, OrderPath: order, ResendPath: order + "/deliveries/" + strconv.FormatUint(uint64(d.ID), 10) + "/resend",
		StateKey: "admin_delivery_" + string(d.State), StyleKey: styleKey(d.Style)}
	if d.State == models.DeliveryPending {
		r.NextAt = beijingTime(d.NextAt)
	}
	return r
}

func orderPath(no string) string { return "/admin/orders/" + url.PathEscape(no) }

// merchantSection is the merchant block and the notifications of a gateway
// order.
func (h *Handler) merchantSection(ctx context.Context, o *models.Order) (*merchantBlock, []deliveryRow, error) {
	m := &merchantBlock{Pid: o.AppPid, OutTradeNo: o.MerchantOutTradeNo(), ItemName: o.ItemName, NotifyURL: o.NotifyURL,
		ReturnURL: o.ReturnURL, Param: o.Param, StyleKey: styleKey(o.NotifyStyle)}
	app, err := h.opt.Admin.App(ctx, o.AppPid)
	switch {
	case err == nil:
		m.AppName = app.Name
	case httpStatus(err) != http.StatusNotFound:
		return nil, nil, err
	}
	ds, err := h.opt.Admin.Deliveries(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]deliveryRow, 0, len(ds))
	for i := range ds {
		r := newDeliveryRow(&ds[i])
		r.AppName = m.AppName
		rows = append(rows, r)
	}
	return m, rows, nil
}

// adminDeliveries lists the notifications the merchants have not
// acknowledged: failed for good, or failing and still being resent.
func (h *Handler) adminDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	ds, err := h.opt.Admin.FailingDeliveries(ctx, failingListLimit)
	if err != nil {
		h.fail(c, err)
		return
	}
	apps, err := h.opt.Admin.Apps(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	names := make(map[int64]string, len(apps))
	for _, a := range apps {
		names[a.Pid] = a.Name
	}
	d := adminDeliveriesData{Full: len(ds) >= failingListLimit, Limit: failingListLimit, Flash: h.takeFlash(c)}
	for i := range ds {
		r := newDeliveryRow(&ds[i])
		r.AppName = names[r.Pid]
		d.Rows = append(d.Rows, r)
	}
	h.render(c, http.StatusOK, "admin_deliveries", "admin_deliveries_title", d)
}

// adminResendDelivery sends one of the order's notifications again now,
// with its schedule started over, and goes back to the order (or to the
// failing list, when asked from there) with the outcome. The delivery must
// be the order's own: ids are sequential, and a form must not reach
// another order's notification through this one's URL.
func (h *Handler) adminResendDelivery(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := strconv.ParseUint(c.Param("id"), 10, strconv.IntSize)
	if err != nil || id == 0 {
		h.renderError(c, http.StatusNotFound, "err_delivery_not_found")
		return
	}
	o, err := h.opt.Admin.OrderByOutTradeNo(ctx, c.Param("out_trade_no"))
	if err != nil {
		h.fail(c, err)
		return
	}
	ds, err := h.opt.Admin.Deliveries(ctx, o)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !hasDelivery(ds, uint(id)) {
		h.renderError(c, http.StatusNotFound, "err_delivery_not_found")
		return
	}
	l := h.language(c)
	switch _, err := h.opt.Admin.ResendDelivery(ctx, uint(id), adminSession(c).Actor); {
	case err != nil && httpStatus(err) == http.StatusInternalServerError:
		h.log.Error("admin resend delivery", "out_trade_no", o.OutTradeNo, "delivery", id, "err", err,
			"request_id", c.GetString(requestIDKey))
		h.setFlash(c, flash{Message: l.T(msgInternal)})
	case err != nil:
		h.setFlash(c, flash{Message: l.Error(err)})
	default:
		h.setFlash(c, flash{OK: true, Message: l.Tf("admin_delivery_resent", id)})
	}
	back := orderPath(o.OutTradeNo)
	if c.PostForm("back") == "deliveries" {
		back = "/admin/deliveries"
	}
	c.Redirect(http.StatusSeeOther, back)
}

func hasDelivery(ds []models.Delivery, id uint) bool {
	for _, d := range ds {
		if d.ID == id {
			return true
		}
	}
	return false
}
