package handlers

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"wxcheckout/models"
)

// fillCSVRow sets rec (len(csvColumns) cells) to o's row.
func fillCSVRow(rec []string, o *models.Order, now time.Time, l Lang) {
	b := newStatusBadge(o, now, l)
	expired := ""
	if b.Expired {
		expired = l.T("adm_yes")
	}
	fulfil := ""
	if o.Fulfilment != models.FulfilNone {
		fulfil = l.T("fulfil_" + string(o.Fulfilment))
	}
	copy(rec, []string{csvText(o.OutTradeNo), beijingTime(o.CreatedAt), b.Label, string(o.Status), expired,
		csvSafe(o.SKU), csvSafe(o.Body), csvSafe(itemsSummary(o)), strconv.Itoa(o.Quantity),
		o.TotalFee.Yuan(), strconv.FormatInt(int64(o.TotalFee), 10), csvText(o.TransactionID), beijingTimePtr(o.PaidAt),
		csvSafe(o.Flags), o.RefundedFee.Yuan(), strconv.FormatInt(int64(o.RefundedFee), 10),
		csvSafe(o.Buyer.Name), csvText(o.Buyer.Phone), csvSafe(o.Buyer.Address), csvSafe(o.Buyer.Note),
		fulfil, csvText(o.TrackingNo)})
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
