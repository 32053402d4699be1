package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// orderRow is one line of the list, with times already in Beijing time.
type orderRow struct {
	OutTradeNo    string
	Created       string
	Status        string
	SKU, Product  string
	Quantity      int
	Yuan          string
	RefundedYuan  string // "" when nothing was refunded
	TransactionID string
	PaidAt        string
	Flags         []string
}

func newOrderRow(o *models.Order) orderRow {
	r := orderRow{OutTradeNo: o.OutTradeNo, Created: beijingTime(o.CreatedAt), Status: string(o.Status),
		SKU: o.SKU, Product: o.Body, Quantity: o.Quantity, Yuan: o.TotalFee.Yuan(),
		TransactionID: o.TransactionID, PaidAt: beijingTimePtr(o.PaidAt)}
	if o.RefundedFee > 0 {
		r.RefundedYuan = o.RefundedFee.Yuan()
	}
	if o.Flags != "" {
		r.Flags = strings.Split(o.Flags, ",")
	}
	return r
}

type adminOrdersData struct {
	Query    orderQuery
	Statuses []models.OrderStatus
	Rows     []orderRow
	Totals   models.OrderTotals
	PaidYuan string
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	CSVURL   string
	Chart    chartData
}

// adminOrders lists the orders the filter selects, newest first, with the
// filter's totals and the 30-day chart.
func (h *Handler) adminOrders(c *gin.Context) {
	q, f, err := parseOrderQuery(c)
	if err != nil {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	ctx := c.Request.Context()
	totals, err := h.opt.Admin.OrderTotals(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	orders, err := h.opt.Admin.SearchOrders(ctx, f, (q.Page-1)*adminPageSize, adminPageSize)
	if err != nil {
		h.fail(c, err)
		return
	}
	chart, err := h.paidChart(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminOrdersData{Query: q, Totals: totals, PaidYuan: totals.PaidFee.Yuan(), Page: q.Page, Chart: chart,
		Pages:    max(1, int((totals.Count+adminPageSize-1)/adminPageSize)),
		Statuses: []models.OrderStatus{models.StatusNotPay, models.StatusPaid, models.StatusRefund, models.StatusClosed, models.StatusFailed},
		CSVURL:   "/admin/orders.csv" + q.values(1)}
	for i := range orders {
		d.Rows = append(d.Rows, newOrderRow(&orders[i]))
	}
	if q.Page > 1 {
		d.PrevURL = "/admin/orders" + q.values(q.Page-1)
	}
	if q.Page < d.Pages {
		d.NextURL = "/admin/orders" + q.values(q.Page+1)
	}
	h.render(c, http.StatusOK, "admin_orders", "admin_orders_title", d)
}
