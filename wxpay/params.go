// Package wxpay speaks WeChat Pay v2 (the XML API) for Native (QR code) payments:
// signing and verifying, a strict flat-XML codec, a client for unifiedorder,
// orderquery and closeorder, payment notifications, the second signature
// that in-app payments need, and refunds (refund over mutual TLS with the
// merchant certificate, refundquery, encrypted refund notifications). It
// knows nothing about orders in a database.
package wxpay

import (
	"strconv"
	"strings"
	"time"
)

// Params is one WeChat Pay message: every field, by name. Verification always
// runs over Params, never over a fixed struct, because WeChat adds fields
// (coupon_fee_0, promotion_detail, ...) whenever it likes.
type Params map[string]string

// Int64 returns the named field as an integer, reporting whether it was
// present and well formed: decimal digits with an optional minus sign, as
// WeChat writes amounts. strconv alone would also take "+100".
func (p Params) Int64(name string) (int64, bool) {
	v := p[name]
	if strings.HasPrefix(v, "+") {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// beijing is UTC+8: WeChat reads and writes every time in Beijing time,
// whatever the server's own time zone is.
var beijing = time.FixedZone("CST", 8*60*60)

// timeLayout is WeChat's yyyyMMddHHmmss.
const timeLayout = "20060102150405"

// FormatTime renders t as yyyyMMddHHmmss in Beijing time.
func FormatTime(t time.Time) string { return t.In(beijing).Format(timeLayout) }

// ParseTime reads a yyyyMMddHHmmss value as Beijing time.
func ParseTime(s string) (time.Time, error) { return time.ParseInLocation(timeLayout, s, beijing) }

// Beijing is the UTC+8 location WeChat uses for every time field.
func Beijing() *time.Location { return beijing }
