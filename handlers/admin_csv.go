package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// utf8BOM makes Excel read the file as UTF-8, so Chinese names show.
const utf8BOM = "\uFEFF"

// csvColumns are the export's columns, as i18n keys: the header is in the
// admin's language (the page's: ?lang=, cookie, Accept-Language).
var csvColumns = []string{"adm_csv_out_trade_no", "adm_csv_created", "adm_csv_status", "adm_csv_status_code", "adm_csv_expired",
	"adm_csv_sku", "adm_csv_product", "adm_csv_items", "adm_csv_qty", "adm_csv_amount_yuan", "adm_csv_amount_fen",
	"adm_csv_transaction_id", "adm_csv_paid_at", "adm_csv_flags", "adm_csv_refunded_yuan", "adm_csv_refunded_fen",
	"adm_csv_buyer_name", "adm_csv_buyer_phone", "adm_csv_buyer_address", "adm_csv_buyer_note",
	"adm_csv_fulfilment", "adm_csv_tracking_no"}

// adminCSV streams every order the filter selects (not just one page).
// A bad filter is a 400 with the reasons as plain text. Once the first row
// is out the status is sent, so a failure midway can only be logged; the
// file then ends early.
func (h *Handler) adminCSV(c *gin.Context) {
	l := h.language(c)
	_, f, bad := parseOrderQuery(c)
	if bad != nil {
		c.Header("Cache-Control", "no-store")
		c.String(http.StatusBadRequest, bad.text(l))
		return
	}
	name := "orders-" + h.opt.Now().In(wxpay.Beijing()).Format("20060102-150405") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString(utf8BOM); err != nil {
		return
	}
	w := csv.NewWriter(c.Writer)
	header := make([]string, len(csvColumns))
	for i, k := range csvColumns {
		header[i] = l.T(k)
	}
	w.Write(header)
	now := h.opt.Now()
	err := h.opt.Admin.EachOrder(c.Request.Context(), f, func(o *models.Order) error {
		return w.Write(csvRow(o, now, l))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		h.log.Error("csv export", "err", err, "request_id", c.GetString(requestIDKey))
	}
}

func csvRow(o *models.Order, now time.Time, l Lang) []string {
	b := newStatusBadge(o, now, l)
	expired := ""
	if b.Expired {
		expired = l.T("adm_yes")
	}
	fulfil := ""
	if o.Fulfilment != models.FulfilNone {
		fulfil = l.T("fulfil_" + string(o.Fulfilment))
	}
	return []string{csvText(o.OutTradeNo), beijingTime(o.CreatedAt), b.Label, string(o.Status), expired,
		csvSafe(o.SKU), csvSafe(o.Body), csvSafe(itemsSummary(o)), strconv.Itoa(o.Quantity),
		o.TotalFee.Yuan(), strconv.FormatInt(int64(o.TotalFee), 10), csvText(o.TransactionID), beijingTimePtr(o.PaidAt),
		csvSafe(o.Flags), o.RefundedFee.Yuan(), strconv.FormatInt(int64(o.RefundedFee), 10),
		csvSafe(o.Buyer.Name), csvText(o.Buyer.Phone), csvSafe(o.Buyer.Address), csvSafe(o.Buyer.Note),
		fulfil, csvText(o.TrackingNo)}
}

// itemsSummary is "西湖龙井 100g ×2; 咖啡豆 ×1" from the goods list the order
// sent WeChat (fixed at creation, so the export needs no query per order);
// an order from before the cart has its one line.
func itemsSummary(o *models.Order) string {
	var d struct {
		Goods []struct {
			Name     string `json:"goods_name"`
			Quantity int    `json:"quantity"`
		} `json:"goods_detail"`
	}
	if o.Detail == "" || json.Unmarshal([]byte(o.Detail), &d) != nil || len(d.Goods) == 0 {
		if o.SKU == "" {
			return o.Body
		}
		return o.Body + " ×" + strconv.Itoa(o.Quantity)
	}
	parts := make([]string, len(d.Goods))
	for i, g := range d.Goods {
		parts[i] = g.Name + " ×" + strconv.Itoa(g.Quantity)
	}
	return strings.Join(parts, "; ")
}

// idLike is what csvText wraps: order, transaction and tracking numbers and
// phone numbers, never anything with a quote or a formula's syntax.
var idLike = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// csvText keeps a number-like identifier as text when Excel opens the file:
// a 28-digit transaction_id would otherwise become 4.20000E+27 and a phone
// lose its leading 0. We write it as the formula ="4200…", which Excel and
// LibreOffice show as the text itself; it is only ever built from letters,
// digits, - and _, so it cannot smuggle in a formula of its own. Anything
// else goes through csvSafe like every other text cell.
func csvText(s string) string {
	if s == "" {
		return ""
	}
	if idLike.MatchString(s) {
		return `="` + s + `"`
	}
	return csvSafe(s)
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
