package gateway

import (
	"net/url"
	"strconv"
	"time"

	"wxcheckout/models"
)

// beijing is UTC+8, the zone every time the gateway shows is written in.
var beijing = time.FixedZone("CST", 8*3600)

// APIStatus is an order's status as the JSON API and webhooks show it:
// NOTPAY, PAID, CLOSED or REFUND. An order WeChat refused to place, or
// whose time is up unpaid, can no longer be paid: CLOSED.
func APIStatus(o *models.Order, now time.Time) string {
	switch {
	case o.Status == models.StatusPaid:
		return string(models.StatusPaid)
	case o.Status == models.StatusNotPay && !o.Expired(now):
		return string(models.StatusNotPay)
	case o.Status == models.StatusRefund:
		return string(models.StatusRefund)
	}
	return string(models.StatusClosed)
}

// Order is a gateway order as the JSON API returns it and webhooks carry
// it. Times are RFC 3339 in Beijing time; amounts are integer fen.
type Order struct {
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	Status     string `json:"status"`
	// TradeType is how the order was created to be paid: NATIVE (the
	// payment page), APP or JSAPI (SPEC §9).
	TradeType      string  `json:"trade_type"`
	Amount         int64   `json:"amount"`
	RefundedAmount int64   `json:"refunded_amount"`
	Name           string  `json:"name"`
	Param          string  `json:"param"`
	PayURL         string  `json:"pay_url"`
	CodeURL        string  `json:"code_url"`
	QRURL          string  `json:"qr_url"`
	CreatedAt      string  `json:"created_at"`
	ExpiresAt      string  `json:"expires_at"`
	PaidAt         *string `json:"paid_at"`
	TransactionID  string  `json:"transaction_id"`
	// Refund is the refund a refund.succeeded webhook reports.
	Refund *RefundObject `json:"refund,omitempty"`
}

// RefundObject is a refund in a webhook (SPEC §8).
type RefundObject struct {
	OutRefundNo string `json:"out_refund_no"`
	Amount      int64  `json:"amount"`
	Status      string `json:"status"`
}

// NewOrder is o as the API shows it; publicURL is the site's base URL.
func NewOrder(o *models.Order, publicURL string, now time.Time) Order {
	pay := publicURL + "/pay/" + o.Token
	out := Order{
		TradeNo: o.OutTradeNo, OutTradeNo: o.MerchantOutTradeNo(), Status: APIStatus(o, now), TradeType: tradeType(o),
		Amount: int64(o.TotalFee), RefundedAmount: int64(o.RefundedFee), Name: o.ItemName, Param: o.Param,
		PayURL: pay, CodeURL: o.CodeURL, QRURL: pay + "/qr.png",
		CreatedAt: RFC3339(o.CreatedAt), ExpiresAt: RFC3339(o.ExpiresAt), TransactionID: o.TransactionID,
	}
	if o.PaidAt != nil {
		t := RFC3339(*o.PaidAt)
		out.PaidAt = &t
	}
	return out
}

func tradeType(o *models.Order) string {
	if o.TradeType == "" {
		return "NATIVE" // orders from before trade types were stored
	}
	return o.TradeType
}

// RFC3339 writes t in Beijing time, to the second.
func RFC3339(t time.Time) string { return t.In(beijing).Format(time.RFC3339) }

// EpayTime writes t as epay does: "yyyy-MM-dd HH:mm:ss" in Beijing time.
func EpayTime(t time.Time) string { return t.In(beijing).Format(time.DateTime) }

// Event is a webhook's body.
type Event struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Data      Order  `json:"data"`
}

// EpayOrderOf is what an epay notification tells of o.
func EpayOrderOf(o *models.Order) EpayOrder {
	return EpayOrder{Pid: o.AppPid, TradeNo: o.OutTradeNo, OutTradeNo: o.MerchantOutTradeNo(),
		Name: o.ItemName, Money: o.TotalFee, Param: o.Param}
}

// EpayUnsigned is the notification's parameters without sign and
// sign_type: what a delivery stores, to be signed at each attempt.
func EpayUnsigned(o EpayOrder) url.Values {
	v := EpayNotifyParams(o, "")
	v.Del("sign")
	v.Del("sign_type")
	return v
}

// SignEpay adds sign and sign_type to unsigned epay parameters.
func SignEpay(unsigned url.Values, key string) url.Values {
	p := make(map[string]string, len(unsigned))
	v := make(url.Values, len(unsigned)+2)
	for k, xs := range unsigned {
		if len(xs) > 0 {
			p[k] = xs[0]
			v.Set(k, xs[0])
		}
	}
	v.Set("sign", EpaySign(p, key))
	v.Set("sign_type", "MD5")
	return v
}

// PidString is a pid as epay writes it.
func PidString(pid int64) string { return strconv.FormatInt(pid, 10) }
