package handlers

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// appendCSVRow appends o's row (the csvColumns, then a newline) to buf,
// quoted exactly as encoding/csv's Writer quotes (comma, LF): one buffer
// for the whole row, no []string of cells. scratch is reused for the items
// cell; both are returned for the next row.
func appendCSVRow(buf, scratch []byte, o *models.Order, now time.Time, l Lang) ([]byte, []byte) {
	b := newStatusBadge(o, now, l)
	expired := ""
	if b.Expired {
		expired = l.T("adm_yes")
	}
	fulfil := ""
	if o.Fulfilment != models.FulfilNone {
		fulfil = l.T("fulfil_" + string(o.Fulfilment))
	}
	buf = appendCSVText(buf, o.OutTradeNo)
	buf = appendBeijingTime(append(buf, ','), o.CreatedAt)
	buf = appendCSVCell(append(buf, ','), "", b.Label)
	buf = appendCSVCell(append(buf, ','), "", string(o.Status))
	buf = appendCSVCell(append(buf, ','), "", expired)
	buf = appendCSVSafe(append(buf, ','), o.SKU)
	buf = appendCSVSafe(append(buf, ','), o.Body)
	scratch = appendItemsSummary(scratch[:0], o)
	buf = appendCSVSafe(append(buf, ','), unsafeString(scratch))
	buf = strconv.AppendInt(append(buf, ','), int64(o.Quantity), 10)
	buf = appendYuan(append(buf, ','), o.TotalFee)
	buf = strconv.AppendInt(append(buf, ','), int64(o.TotalFee), 10)
	buf = appendCSVText(append(buf, ','), o.TransactionID)
	buf = append(buf, ',')
	if o.PaidAt != nil {
		buf = appendBeijingTime(buf, *o.PaidAt)
	}
	buf = appendCSVSafe(append(buf, ','), o.Flags)
	buf = appendYuan(append(buf, ','), o.RefundedFee)
	buf = strconv.AppendInt(append(buf, ','), int64(o.RefundedFee), 10)
	buf = appendCSVSafe(append(buf, ','), o.Buyer.Name)
	buf = appendCSVText(append(buf, ','), o.Buyer.Phone)
	buf = appendCSVSafe(append(buf, ','), o.Buyer.Address)
	buf = appendCSVSafe(append(buf, ','), o.Buyer.Note)
	buf = appendCSVCell(append(buf, ','), "", fulfil)
	buf = appendCSVText(append(buf, ','), o.TrackingNo)
	return append(buf, '\n'), scratch
}

// appendCSVRecord appends cells as one line, as encoding/csv would.
func appendCSVRecord(buf []byte, cells []string) []byte {
	for i, c := range cells {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCSVCell(buf, "", c)
	}
	return append(buf, '\n')
}

// appendCSVCell appends the cell prefix+s, quoted when encoding/csv's
// Writer would quote it (a comma, quote, CR or LF in it, a first rune that
// is a space, or `\.`), its quotes doubled.
func appendCSVCell(buf []byte, prefix, s string) []byte {
	if !csvNeedsQuotes(prefix, s) {
		return append(append(buf, prefix...), s...)
	}
	buf = append(buf, '"')
	for _, part := range [2]string{prefix, s} {
		for {
			i := strings.IndexByte(part, '"')
			if i < 0 {
				buf = append(buf, part...)
				break
			}
			buf = append(append(buf, part[:i+1]...), '"')
			part = part[i+1:]
		}
	}
	return append(buf, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes of prefix+s, where
// prefix is "" or csvSafe's apostrophe (neither special nor a space).
func csvNeedsQuotes(prefix, s string) bool {
	first := s
	if prefix != "" {
		first = prefix
	}
	if first == "" {
		return false
	}
	if prefix == "" && s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(first)
	return unicode.IsSpace(r)
}

// appendCSVText appends csvText(s): a number-like identifier as the text
// formula ="…", anything else as csvSafe does.
func appendCSVText(buf []byte, s string) []byte {
	if isIDLike(s) {
		// csvText's ="s" has quotes: encoding/csv writes "=""s"""
		return append(append(append(buf, `"=""`...), s...), `"""`...)
	}
	return appendCSVSafe(buf, s)
}

// appendCSVSafe appends csvSafe(s).
func appendCSVSafe(buf []byte, s string) []byte {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return appendCSVCell(buf, "'", s)
		}
	}
	return appendCSVCell(buf, "", s)
}

// appendBeijingTime appends beijingTime(t).
func appendBeijingTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return buf
	}
	return t.In(wxpay.Beijing()).AppendFormat(buf, time.DateTime)
}

// appendYuan appends m.Yuan() ("-12.05").
func appendYuan(buf []byte, m models.Money) []byte {
	u := uint64(m)
	if m < 0 {
		buf = append(buf, '-')
		u = -u
	}
	buf = strconv.AppendUint(buf, u/100, 10)
	c := u % 100
	return append(buf, '.', byte('0'+c/10), byte('0'+c%10))
}

// unsafeString is b as a string without a copy, for a cell written out
// before b changes.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendItemsSummary appends itemsSummary(o).
func appendItemsSummary(buf []byte, o *models.Order) []byte {
	if goods, ok := scanGoods(o.Detail); ok {
		if len(goods) > 0 {
			for i, g := range goods {
				if i > 0 {
					buf = append(buf, "; "...)
				}
				buf = append(append(buf, g.name...), " ×"...)
				buf = strconv.AppendInt(buf, g.quantity, 10)
			}
			return buf
		}
		return appendItemsFallback(buf, o)
	}
	return append(buf, itemsSummary(o)...)
}

func appendItemsFallback(buf []byte, o *models.Order) []byte {
	if o.SKU == "" {
		return append(buf, o.Body...)
	}
	return strconv.AppendInt(append(append(buf, o.Body...), " ×"...), int64(o.Quantity), 10)
}

// itemsSummary is "西湖龙井 100g ×2; 咖啡豆 ×1" from the goods list the order
// sent WeChat (fixed at creation, so the export needs no query per order);
// an order from before the cart has its one line. The export reads the
// list with scanGoods, and with encoding/json only for what that declines.
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

// isIDLike is idLike's match: 1–64 of [0-9A-Za-z_-].
func isIDLike(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// csvText keeps a number-like identifier as text when Excel opens the file:
// a 28-digit transaction_id would otherwise become 4.20000E+27 and a phone
// lose its leading 0. We write it as the formula ="4200…", which Excel and
// LibreOffice show as the text itself; it is only ever built from letters,
// digits, - and _ (isIDLike), so it cannot smuggle in a formula of its own.
// Anything else goes through csvSafe like every other text cell. The
// export writes it with appendCSVText.
func csvText(s string) string {
	if s == "" {
		return ""
	}
	if isIDLike(s) {
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
