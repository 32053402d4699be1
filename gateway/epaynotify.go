package gateway

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"wxcheckout/models"
)

// EpayOrder is what an epay notification tells the merchant about a paid
// order.
type EpayOrder struct {
	Pid        int64
	TradeNo    string // wxcheckout's order number
	OutTradeNo string // the merchant's
	Name       string
	Money      models.Money
	Param      string
}

// EpayNotifyParams builds the notification sent to notify_url (and added to
// return_url) when the order is paid, signed with the app's key. No field is
// ever empty: v2board verifies over every field it receives, empty ones
// included, while the epay sign leaves empty ones out, so an empty field
// would make the two disagree. param is therefore sent only when set.
func EpayNotifyParams(o EpayOrder, key string) url.Values {
	p := map[string]string{
		"pid":          strconv.FormatInt(o.Pid, 10),
		"trade_no":     o.TradeNo,
		"out_trade_no": o.OutTradeNo,
		"type":         "wxpay",
		"name":         o.Name,
		"money":        FormatYuan(o.Money),
		"trade_status": "TRADE_SUCCESS",
		"param":        o.Param,
	}
	v := make(url.Values, len(p)+2)
	for k, x := range p {
		if x != "" {
			v.Set(k, x)
		}
	}
	v.Set("sign", EpaySign(p, key))
	v.Set("sign_type", "MD5")
	return v
}

// ReturnURL is returnURL with the notification's parameters added to its
// query: after "&" when it already has one, before any #fragment. The rest
// of the merchant's URL is kept byte for byte; the sign covers only the
// added parameters.
func ReturnURL(returnURL string, params url.Values) (string, error) {
	if _, err := ParseCallbackURL(returnURL); err != nil {
		return "", err
	}
	return AppendQuery(returnURL, params), nil
}

// AppendQuery adds params to u's query without re-encoding the rest of u.
// The epay notification GET uses it on notify_url.
func AppendQuery(u string, params url.Values) string {
	base, frag, hasFrag := strings.Cut(u, "#")
	enc := params.Encode()
	switch {
	case enc == "":
	case !strings.Contains(base, "?"):
		base += "?" + enc
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		base += enc
	default:
		base += "&" + enc
	}
	if hasFrag {
		return base + "#" + frag
	}
	return base
}

// EpayDelivered reports whether a merchant acknowledged an epay
// notification: a 2xx status and a body that is "success" in any case once
// trimmed. A UTF-8 byte-order mark is trimmed too: PHP files saved with one
// print it before anything they echo.
func EpayDelivered(status int, body []byte) bool {
	if status < 200 || status > 299 {
		return false
	}
	b := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\uFEFF")))
	return bytes.EqualFold(b, []byte("success"))
}
