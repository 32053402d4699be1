package wxpay

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Trade types: how the shopper pays (SPEC §9).
const (
	TradeNative = "NATIVE" // a QR code scanned with WeChat
	TradeJSAPI  = "JSAPI"  // WeChat's payment sheet inside WeChat or a mini program
	TradeMWEB   = "MWEB"   // H5: a mobile browser outside WeChat
	TradeAPP    = "APP"    // the merchant's own app with the WeChat SDK
)

// ValidTradeType reports whether t is one of the four trade types.
func ValidTradeType(t string) bool {
	switch t {
	case TradeNative, TradeJSAPI, TradeMWEB, TradeAPP:
		return true
	}
	return false
}

// UnifiedOrderRequest is an order of one trade type (NATIVE when empty).
// Sending the same request again (same out_trade_no and business fields,
// including the times) is WeChat's re-entry: it returns the same prepay_id.
type UnifiedOrderRequest struct {
	// TradeType is NATIVE (the default), JSAPI, MWEB or APP.
	TradeType string
	// AppID, when set, places the order for another appid of the merchant
	// (a mini program's; Config.OtherAppIDs); default the client's AppID.
	AppID      string
	Body       string // ≤127 bytes
	OutTradeNo string
	TotalFee   int64 // fen, > 0
	// SpbillCreateIP is the merchant server's IP for NATIVE, the shopper's
	// IP for MWEB (WeChat's cashier pays only from that IP) and JSAPI/APP.
	SpbillCreateIP string
	NotifyURL      string
	ProductID      string // required for NATIVE, ≤32
	OpenID         string // required for JSAPI: the payer's openid under AppID
	// SceneInfo is required for MWEB: the JSON
	// {"h5_info":{"type":"Wap","wap_url":…,"wap_name":…}} (H5SceneInfo).
	SceneInfo  string
	Attach     string
	Detail     string
	DeviceInfo string
	FeeType    string
	TimeStart  time.Time // optional
	TimeExpire time.Time // optional; at least a minute after the call
}

// UnifiedOrderResponse is a successful unifiedorder reply.
type UnifiedOrderResponse struct {
	PrepayID string
	CodeURL  string // NATIVE: weixin://wxpay/bizpayurl?pr=…, valid two hours
	// MwebURL is MWEB's cashier page, valid five minutes and only from the
	// spbill_create_ip; append &redirect_url=… to come back.
	MwebURL  string
	Fields   Params
	Exchange *Exchange
}

func (c *Client) validate(r *UnifiedOrderRequest) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	tt := r.tradeType()
	switch {
	case !ValidTradeType(tt):
		return bad("trade_type %q must be NATIVE, JSAPI, MWEB or APP", tt)
	case r.AppID != "" && !c.ownAppID(r.AppID):
		return bad("appid %q is not one of the merchant's appids", r.AppID)
	case !ValidOutTradeNo(r.OutTradeNo):
		return bad("out_trade_no %q must be 6–32 of [0-9A-Za-z_-|*]", r.OutTradeNo)
	case r.Body == "" || len(r.Body) > 127:
		return bad("body must be 1–127 bytes, got %d", len(r.Body))
	case r.TotalFee <= 0:
		return bad("total_fee must be a positive number of fen, got %d", r.TotalFee)
	case tt == TradeNative && (r.ProductID == "" || len(r.ProductID) > 32):
		return bad("product_id is required for NATIVE and at most 32 bytes")
	case len(r.ProductID) > 32:
		return bad("product_id is at most 32 bytes")
	case tt == TradeJSAPI && (r.OpenID == "" || len(r.OpenID) > 128):
		return bad("openid is required for JSAPI and at most 128 bytes")
	case tt != TradeJSAPI && r.OpenID != "":
		return bad("openid is for JSAPI orders only")
	case tt == TradeMWEB && (r.SceneInfo == "" || len(r.SceneInfo) > 256):
		return bad("scene_info is required for MWEB and at most 256 bytes")
	case net.ParseIP(r.SpbillCreateIP) == nil:
		return bad("spbill_create_ip %q is not an IP address", r.SpbillCreateIP)
	case len(r.Attach) > 127:
		return bad("attach is over 127 bytes")
	}
	if err := ValidNotifyURL(r.NotifyURL); err != nil {
		return err
	}
	if !r.TimeExpire.IsZero() && r.TimeExpire.Sub(c.cfg.Now()) < time.Minute {
		return bad("time_expire must be at least a minute from now")
	}
	return nil
}

// ValidNotifyURL checks WeChat's rules for notify_url: absolute http(s), at
// most 256 bytes, no query string.
func ValidNotifyURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: notify_url %q must be an absolute http(s) URL", ErrInvalidParam, s)
	case len(s) > 256:
		return fmt.Errorf("%w: notify_url is over 256 bytes", ErrInvalidParam)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("%w: notify_url must not carry a query string", ErrInvalidParam)
	}
	return nil
}

func (r *UnifiedOrderRequest) tradeType() string {
	if r.TradeType == "" {
		return TradeNative
	}
	return r.TradeType
}

// H5SceneInfo is MWEB's scene_info for a mobile web site.
func H5SceneInfo(wapURL, wapName string) string {
	b, _ := json.Marshal(map[string]map[string]string{"h5_info": {"type": "Wap", "wap_url": wapURL, "wap_name": wapName}})
	return string(b)
}

// UnifiedOrder places an order and returns what the shopper pays with:
// code_url (NATIVE), mweb_url (MWEB) or the prepay_id (JSAPI and APP, for
// the second signature: JSAPIPayParams, AppPayParams).
func (c *Client) UnifiedOrder(ctx context.Context, r *UnifiedOrderRequest) (*UnifiedOrderResponse, error) {
	if err := c.validate(r); err != nil {
		return nil, err
	}
	tt := r.tradeType()
	p := Params{
		"body": r.Body, "out_trade_no": r.OutTradeNo, "total_fee": strconv.FormatInt(r.TotalFee, 10),
		"spbill_create_ip": r.SpbillCreateIP, "notify_url": r.NotifyURL, "trade_type": tt,
		"product_id": r.ProductID, "attach": r.Attach, "detail": r.Detail, "device_info": r.DeviceInfo,
		"fee_type": r.FeeType, "openid": r.OpenID, "scene_info": r.SceneInfo, "appid": r.AppID,
	}
	if !r.TimeStart.IsZero() {
		p["time_start"] = FormatTime(r.TimeStart)
	}
	if !r.TimeExpire.IsZero() {
		p["time_expire"] = FormatTime(r.TimeExpire)
	}
	for k, v := range p {
		if v == "" {
			delete(p, k) // optional fields not set are not sent
		}
	}
	reply, x, err := c.call(ctx, "unifiedorder", "/pay/unifiedorder", p)
	if err != nil {
		return nil, err
	}
	resp := &UnifiedOrderResponse{PrepayID: reply["prepay_id"], CodeURL: reply["code_url"], MwebURL: reply["mweb_url"],
		Fields: reply, Exchange: x}
	switch {
	case resp.PrepayID == "":
		return nil, &TransportError{Op: "unifiedorder", Err: fmt.Errorf("reply without prepay_id"), Exchange: x}
	case tt == TradeNative && resp.CodeURL == "":
		return nil, &TransportError{Op: "unifiedorder", Err: fmt.Errorf("NATIVE reply without code_url"), Exchange: x}
	case tt == TradeMWEB && resp.MwebURL == "":
		return nil, &TransportError{Op: "unifiedorder", Err: fmt.Errorf("MWEB reply without mweb_url"), Exchange: x}
	}
	return resp, nil
}

// Trade states from orderquery.
const (
	TradeSuccess    = "SUCCESS"
	TradeRefund     = "REFUND"
	TradeNotPay     = "NOTPAY"
	TradeClosed     = "CLOSED"
	TradeRevoked    = "REVOKED"
	TradeUserPaying = "USERPAYING"
	TradePayError   = "PAYERROR"
)

// OrderQueryResponse is an order's state at WeChat. The payment fields are
// set only when TradeState is SUCCESS (or REFUND, which was paid first).
type OrderQueryResponse struct {
	TradeState     string
	TradeStateDesc string
	OutTradeNo     string
	TransactionID  string
	TotalFee       int64
	CashFee        int64
	TimeEnd        time.Time
	OpenID         string
	BankType       string
	Attach         string
	Fields         Params
	Exchange       *Exchange
}

// Paid reports whether the order has been paid.
func (r *OrderQueryResponse) Paid() bool { return r.TradeState == TradeSuccess }

// OrderQuery asks WeChat for an order's state by out_trade_no.
func (c *Client) OrderQuery(ctx context.Context, outTradeNo string) (*OrderQueryResponse, error) {
	if !ValidOutTradeNo(outTradeNo) {
		return nil, fmt.Errorf("%w: out_trade_no %q", ErrInvalidParam, outTradeNo)
	}
	reply, x, err := c.call(ctx, "orderquery", "/pay/orderquery", Params{"out_trade_no": outTradeNo})
	if err != nil {
		return nil, err
	}
	r := &OrderQueryResponse{
		TradeState: reply["trade_state"], TradeStateDesc: reply["trade_state_desc"],
		OutTradeNo: reply["out_trade_no"], Attach: reply["attach"],
		Fields: reply, Exchange: x,
	}
	if r.OutTradeNo != outTradeNo || r.TradeState == "" {
		return nil, &TransportError{Op: "orderquery", Err: fmt.Errorf("reply for %q without trade_state", r.OutTradeNo), Exchange: x}
	}
	// Payment fields mean something only for a paid order; a caller must not
	// find a transaction_id on a CLOSED or NOTPAY result.
	if r.Paid() || r.TradeState == TradeRefund {
		r.TransactionID, r.OpenID, r.BankType = reply["transaction_id"], reply["openid"], reply["bank_type"]
		var ok bool
		if r.TotalFee, ok = reply.Int64("total_fee"); !ok || r.TransactionID == "" {
			return nil, &TransportError{Op: "orderquery", Err: fmt.Errorf("paid reply without total_fee or transaction_id"), Exchange: x}
		}
		r.CashFee, _ = reply.Int64("cash_fee")
		r.TimeEnd, _ = ParseTime(reply["time_end"])
	}
	return r, nil
}

// CloseOrderResponse is a successful closeorder reply.
type CloseOrderResponse struct {
	Fields   Params
	Exchange *Exchange
}

// CloseOrder closes an unpaid order. WeChat refuses it within five minutes of
// creation; ORDERPAID means it was paid and the payment must be recorded.
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) (*CloseOrderResponse, error) {
	if !ValidOutTradeNo(outTradeNo) {
		return nil, fmt.Errorf("%w: out_trade_no %q", ErrInvalidParam, outTradeNo)
	}
	reply, x, err := c.call(ctx, "closeorder", "/pay/closeorder", Params{"out_trade_no": outTradeNo})
	if err != nil {
		return nil, err
	}
	return &CloseOrderResponse{Fields: reply, Exchange: x}, nil
}
