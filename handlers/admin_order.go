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
	// The exchange as named fields (timeline.go); Raw stays for <details>.
	RequestEx, ResponseEx exchange
	// RawDigest is what stays of bodies dropped after RAW_BODY_RETENTION
	// (sha256 and sizes), or "".
	RawDigest string
}

// itemRow is one line of the order, in the admin's language.
type itemRow struct {
	SKU, Name, NameOther string // NameOther: the name in the other language, when it differs
	Quantity             int
	UnitYuan, Yuan       string
}

// fulfilForm is the order page's fulfilment form: shown for a paid order,
// re-filled with what was typed and its errors (field → i18n key).
type fulfilForm struct {
	Show       bool
	Fulfilment string
	TrackingNo string
	Errors     map[string]string
	Error      string // a refusal not tied to a field
	Choices    []models.Fulfilment
}

type adminOrderData struct {
	Order                              *models.Order
	Row                                orderRow
	TimeStart, Expires, Closed, Update string
	NextQuery, LastQuery               string
	UnitYuan                           string
	Events                             []eventRow
	PaidAfterClose, NotAtWeChat        bool
	AmountMismatchFlag                 bool
	// Oversold: paid after its stock ran out; SecondPayment: paid twice.
	Oversold, SecondPayment     bool
	AmountMismatch, InvalidSign int64
	Flash                       *flash
	Actionable                  bool
	Page, Pages                 int
	PrevURL, NextURL            string
	Merchant                    *merchantBlock // gateway orders only
	Deliveries                  []deliveryRow
	Refunds                     *refundBlock // paid orders only
	Badge                       statusBadge
	Items                       []itemRow
	Buyer                       models.Buyer
	Fulfil                      fulfilForm
	CloseConfirm, RefundConfirm string // the question admin.js asks
	RefundConfirmTemplate       string // the same with {amount} for the amount typed
	Shipped                     string // when it was marked shipped
}

// adminOrder shows every field of one order and its timeline, a page at a
// time (?page=, oldest first): a timeline can be long.
func (h *Handler) adminOrder(c *gin.Context) {
	page, err := strconv.Atoi(c.DefaultQuery("page", "1"))
	if err != nil || page < 1 || page > 1_000_000 {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	o, err := h.opt.Admin.OrderByOutTradeNo(c.Request.Context(), c.Param("out_trade_no"))
	if err != nil {
		h.fail(c, err)
		return
	}
	d, err := h.orderPage(c, o, page)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_order", "admin_order_title", d)
}

// orderPage gathers one page of an order: its fields, lines, buyer,
// fulfilment form, merchant, refunds and timeline.
func (h *Handler) orderPage(c *gin.Context, o *models.Order, page int) (*adminOrderData, error) {
	ctx, l, now := c.Request.Context(), h.language(c), h.opt.Now()
	t, err := h.opt.Admin.Timeline(ctx, o, (page-1)*timelinePageSize, timelinePageSize)
	if err != nil {
		return nil, err
	}
	d := &adminOrderData{Order: o, Row: newOrderRow(o, now, l), TimeStart: beijingTime(o.TimeStart), Expires: beijingTime(o.ExpiresAt),
		Closed: beijingTimePtr(o.ClosedAt), Update: beijingTime(o.UpdatedAt), NextQuery: beijingTime(o.NextQueryAt),
		LastQuery: beijingTimePtr(o.LastQueryAt),
		UnitYuan:  o.UnitPrice.Yuan(), PaidAfterClose: o.HasFlag(models.FlagPaidAfterClose),
		NotAtWeChat: o.HasFlag(models.FlagNotAtWeChat), AmountMismatchFlag: o.HasFlag(models.FlagAmountMismatch),
		Oversold: o.HasFlag(models.FlagOversold), SecondPayment: o.HasFlag(models.FlagSecondPayment),
		AmountMismatch: t.Refusals[models.RefusalAmountMismatch], InvalidSign: t.Refusals[models.RefusalBadSign],
		Flash: h.takeFlash(c), Actionable: o.Status.Open(), Badge: newStatusBadge(o, now, l), Buyer: o.Buyer,
		Shipped: beijingTimePtr(o.ShippedAt), CloseConfirm: l.Tf("adm_confirm_close", o.OutTradeNo, o.TotalFee.Yuan()),
		Fulfil: fulfilForm{Show: o.Status.Paid() && !o.Gateway(), Fulfilment: string(o.Fulfilment), TrackingNo: o.TrackingNo,
			Choices: []models.Fulfilment{models.FulfilToShip, models.FulfilShipped, models.FulfilDone}},
		Page: page, Pages: max(1, int((t.Total+timelinePageSize-1)/timelinePageSize))}
	if o.Gateway() {
		if d.Merchant, d.Deliveries, err = h.merchantSection(ctx, o); err != nil {
			return nil, err
		}
	} else if d.Items, err = h.itemRows(c, o, l); err != nil {
		return nil, err
	}
	if d.Refunds, err = h.refundSection(ctx, o); err != nil {
		return nil, err
	}
	if d.Refunds != nil {
		d.RefundConfirm = l.Tf("adm_confirm_refund", o.OutTradeNo, d.Refunds.RefundableYuan)
		d.RefundConfirmTemplate = l.Tf("adm_confirm_refund", o.OutTradeNo, "{amount}")
	}
	base := orderPath(o.OutTradeNo)
	if page > 1 {
		d.PrevURL = fmt.Sprintf("%s?page=%d", base, page-1)
	}
	if page < d.Pages {
		d.NextURL = fmt.Sprintf("%s?page=%d", base, page+1)
	}
	for i := range t.Events {
		d.Events = append(d.Events, newEventRow(&t.Events[i], l))
	}
	return d, nil
}

// itemRows are the order's lines, named in the admin's language.
func (h *Handler) itemRows(c *gin.Context, o *models.Order, l Lang) ([]itemRow, error) {
	items, err := h.opt.Admin.OrderItems(c.Request.Context(), o)
	if err != nil {
		return nil, err
	}
	other := LangEN
	if l == LangEN {
		other = LangZH
	}
	rows := make([]itemRow, len(items))
	for i, it := range items {
		rows[i] = itemRow{SKU: it.SKU, Name: it.DisplayName(string(l)), Quantity: it.Quantity,
			UnitYuan: it.UnitPrice.Yuan(), Yuan: it.Amount().Yuan()}
		if n := it.DisplayName(string(other)); n != rows[i].Name {
			rows[i].NameOther = n
		}
	}
	return rows, nil
}

// newEventRow is a timeline entry; its raw exchange is WeChat's XML, or a
// merchant notification (what was sent, never the app's key, and the start
// of the merchant's reply).
func newEventRow(ev *models.OrderEvent, l Lang) eventRow {
	row := eventRow{Time: beijingTime(ev.CreatedAt), Kind: ev.Kind, Actor: ev.Actor, OK: ev.OK,
		Summary: ev.Summary, Request: ev.Request, Response: ev.Response, RawDigest: ev.RawDigest,
		RequestEx: formatExchange(ev.Request, l), ResponseEx: formatExchange(ev.Response, l),
		RawKey: "admin_raw_xml", RequestKey: "admin_request", ResponseKey: "admin_response"}
	if ev.Kind == models.EventDelivery {
		row.RawKey, row.RequestKey, row.ResponseKey = "admin_raw_notify", "admin_notify_sent", "admin_notify_reply"
	}
	row.RequestEx.Title, row.RequestEx.Class = l.T(row.RequestKey), "request"
	row.ResponseEx.Title, row.ResponseEx.Class = l.T(row.ResponseKey), "response"
	if code := models.Refusal(ev.Code); code.Alarming() {
		row.Alert = code
	}
	return row
}
