package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// utf8BOM makes Excel read the file as UTF-8, so Chinese names show.
const utf8BOM = "\uFEFF"

var csvHeader = []string{"out_trade_no", "created", "status", "sku", "product", "qty",
	"amount_yuan", "amount_fen", "transaction_id", "paid_at", "flags", "refunded_yuan", "refunded_fen"}

// adminCSV streams every order the filter selects (not just one page).
// Once the first row is out the status is sent, so a failure midway can
// only be logged; the file then ends early.
func (h *Handler) adminCSV(c *gin.Context) {
	_, f, err := parseOrderQuery(c)
	if err != nil {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	name := "orders-" + h.opt.Now().In(wxpay.Beijing()).Format("20060102-150405") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString(utf8BOM); err != nil {
		return
	}
	w := csv.NewWriter(c.Writer)
	w.Write(csvHeader)
	err = h.opt.Admin.EachOrder(c.Request.Context(), f, func(o *models.Order) error {
		return w.Write(csvRow(o))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		h.log.Error("csv export", "err", err, "request_id", c.GetString(requestIDKey))
	}
}

func csvRow(o *models.Order) []string {
	row := []string{o.OutTradeNo, beijingTime(o.CreatedAt), string(o.Status), o.SKU, o.Body,
		strconv.Itoa(o.Quantity), o.TotalFee.Yuan(), strconv.FormatInt(int64(o.TotalFee), 10),
		o.TransactionID, beijingTimePtr(o.PaidAt), o.Flags, o.RefundedFee.Yuan(), strconv.FormatInt(int64(o.RefundedFee), 10)}
	for i, cell := range row {
		row[i] = csvSafe(cell)
	}
	return row
}

// csvSafe keeps a spreadsheet from running a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return, which some programs
// strip before looking) gets a leading apostrophe.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
