package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// orderRow is one line of the list, with times already in Beijing time and
// the status and fulfilment labelled in the admin's language.
type orderRow struct {
	OutTradeNo    string
	Created       string
	Status        string
	Badge         statusBadge
	SKU, Product  string
	Quantity      int
	Yuan          string
	RefundedYuan  string // "" when nothing was refunded
	TransactionID string
	PaidAt        string
	Flags         []string
	Fulfilment    string // models.Fulfilment, "" for none
	FulfilLabel   string
	TrackingNo    string
	BuyerName     string
}

// statusBadge is an order's status as the admin reads it: the raw value
// (SPEC's) in data-status, the label in the page's language, and an unpaid
// order past its expiry shown as expired before the poller closes it.
type statusBadge struct {
	Status  string
	Expired bool
	Label   string
}

// Class is the badge's CSS modifier.
func (b statusBadge) Class() string {
	if b.Expired {
		return "EXPIRED"
	}
	return b.Status
}

func newStatusBadge(o *models.Order, now time.Time, l Lang) statusBadge {
	b := statusBadge{Status: string(o.Status), Expired: o.Status == models.StatusNotPay && o.Expired(now)}
	b.Label = statusLabel(b, l)
	return b
}

func statusLabel(b statusBadge, l Lang) string {
	if b.Expired {
		return l.T("status_EXPIRED")
	}
	return l.T("status_" + b.Status)
}

func newOrderRow(o *models.Order, now time.Time, l Lang) orderRow {
	r := orderRow{OutTradeNo: o.OutTradeNo, Created: beijingTime(o.CreatedAt), Status: string(o.Status),
		Badge: newStatusBadge(o, now, l), SKU: o.SKU, Product: o.Body, Quantity: o.Quantity, Yuan: o.TotalFee.Yuan(),
		TransactionID: o.TransactionID, PaidAt: beijingTimePtr(o.PaidAt), Fulfilment: string(o.Fulfilment),
		FulfilLabel: l.T("fulfil_" + string(o.Fulfilment)), TrackingNo: o.TrackingNo, BuyerName: o.Buyer.Name}
	if o.RefundedFee > 0 {
		r.RefundedYuan = o.RefundedFee.Yuan()
	}
	if o.Flags != "" {
		r.Flags = strings.Split(o.Flags, ",")
	}
	return r
}

type adminOrdersData struct {
	Query       orderQuery
	Errors      filterErrors // field → i18n key; the page answers 400
	Statuses    []models.OrderStatus
	Fulfilments []models.Fulfilment
	Rows        []orderRow
	Totals      models.OrderTotals
	PaidYuan    string
	// TotalsFrom and TotalsTo (Beijing days, inclusive) are set when the
	// totals cover a window the filter did not name: without a start date
	// they sum the last totalsDays days only, so that a view never counts
	// the whole table.
	TotalsFrom, TotalsTo string
	NewerURL             string // the page of newer orders, "" on the first page
	OlderURL             string
	CSVURL               string
	Chart                chartData

	// TotalsAll: the filter has no dates and its totals are read from the
	// daily aggregates, so they cover every order it selects.
	TotalsAll bool
}

// totalsDays is the window of the totals of a filter without a start date
// that the daily aggregates cannot answer (a search, a fulfilment state).
const totalsDays = 30

// adminOrders lists the orders the filter selects, newest first, a page at
// a time (keyset pages: ?older= and ?newer= name the order a page starts
// after), with the filter's totals and the 30-day chart. A bad filter shows
// the form again with what is wrong next to the field, as typed, and no
// orders (400).
func (h *Handler) adminOrders(c *gin.Context) {
	q, f, bad := parseOrderQuery(c)
	ctx := c.Request.Context()
	chart, err := h.paidChart(ctx, h.language(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminOrdersData{Query: q, Errors: bad, Chart: chart,
		Statuses:    []models.OrderStatus{models.StatusNotPay, models.StatusPaid, models.StatusRefund, models.StatusClosed, models.StatusFailed},
		Fulfilments: []models.Fulfilment{models.FulfilToShip, models.FulfilShipped, models.FulfilDone}}
	if bad != nil {
		h.render(c, http.StatusBadRequest, "admin_orders", "admin_orders_title", d)
		return
	}
	tf := f
	tf.Older, tf.Newer = nil, nil
	d.TotalsAll = tf.DailyTotals() && tf.From.IsZero() && tf.To.IsZero()
	if f.From.IsZero() && !tf.DailyTotals() {
		end := f.To
		if end.IsZero() {
			end = beijingDay(h.opt.Now()).AddDate(0, 0, 1)
		}
		tf.From = end.AddDate(0, 0, -totalsDays)
		d.TotalsFrom, d.TotalsTo = tf.From.Format(time.DateOnly), end.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if d.Totals, err = h.opt.Admin.OrderTotals(ctx, tf); err != nil {
		h.fail(c, err)
		return
	}
	orders, err := h.opt.Admin.SearchOrders(ctx, f, 0, adminPageSize+1)
	if err != nil {
		h.fail(c, err)
		return
	}
	more := len(orders) > adminPageSize
	if more && f.Newer != nil {
		orders = orders[1:] // newest first: the extra one is the newest
	} else if more {
		orders = orders[:adminPageSize]
	}
	d.PaidYuan, d.CSVURL = d.Totals.PaidFee.Yuan(), "/admin/orders.csv"+q.values("", "")
	now, l := h.opt.Now(), h.language(c)
	for i := range orders {
		d.Rows = append(d.Rows, newOrderRow(&orders[i], now, l))
	}
	if len(orders) > 0 {
		if f.Older != nil || (f.Newer != nil && more) {
			d.NewerURL = "/admin/orders" + q.values("newer", orderCursor(&orders[0]))
		}
		if f.Newer != nil || more {
			d.OlderURL = "/admin/orders" + q.values("older", orderCursor(&orders[len(orders)-1]))
		}
	} else if f.Older != nil || f.Newer != nil {
		d.NewerURL = "/admin/orders" + q.values("", "") // past either end: back to the newest
	}
	h.render(c, http.StatusOK, "admin_orders", "admin_orders_title", d)
}
