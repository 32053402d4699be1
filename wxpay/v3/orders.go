package wxpayv3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// NativeRequest is a Native (QR code) order. Sending the same request again
// (the same out_trade_no and fields, times included) is a re-entry: WeChat
// returns the same code_url.
type NativeRequest struct {
	Description string // 1–127 bytes
	OutTradeNo  string
	TimeExpire  time.Time // optional; at least a minute after the call
	NotifyURL   string    // default Config.NotifyURL
	Attach      string    // optional, ≤128 bytes, echoed back
	Total       int64     // fen, > 0
	Detail      *Detail   // optional: the goods
}

// NativeResponse is a successful Native order.
type NativeResponse struct {
	CodeURL  string // weixin://wxpay/bizpayurl?pr=…
	Exchange *wxpay.Exchange
}

// orderJSON is the body of an order of any trade type; payer and
// scene_info are sent by the trade types that have them.
type orderJSON struct {
	AppID       string     `json:"appid"`
	MchID       string     `json:"mchid"`
	Description string     `json:"description"`
	OutTradeNo  string     `json:"out_trade_no"`
	TimeExpire  string     `json:"time_expire,omitempty"`
	NotifyURL   string     `json:"notify_url"`
	Attach      string     `json:"attach,omitempty"`
	Amount      amountJSON `json:"amount"`
	Payer       *payerJSON `json:"payer,omitempty"`
	SceneInfo   *sceneJSON `json:"scene_info,omitempty"`
	Detail      *Detail    `json:"detail,omitempty"`
}

type amountJSON struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

func (c *Client) validate(r *NativeRequest, notifyURL string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", wxpay.ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	switch {
	case !wxpay.ValidOutTradeNo(r.OutTradeNo):
		return bad("out_trade_no %q must be 6–32 of [0-9A-Za-z_-|*]", r.OutTradeNo)
	case r.Description == "" || len(r.Description) > 127 || !utf8.ValidString(r.Description):
		return bad("description must be 1–127 bytes of UTF-8, got %d bytes", len(r.Description))
	case r.Total <= 0:
		return bad("amount.total must be a positive number of fen, got %d", r.Total)
	case len(r.Attach) > 128 || !utf8.ValidString(r.Attach):
		return bad("attach must be at most 128 bytes of UTF-8")
	case !r.TimeExpire.IsZero() && r.TimeExpire.Sub(c.cfg.Now()) < time.Minute:
		return bad("time_expire must be at least a minute from now")
	case notifyURL == "":
		return bad("notify_url is required")
	}
	return wxpay.ValidNotifyURL(notifyURL)
}

// NativeOrder places a Native order (POST /v3/pay/transactions/native) and
// returns its code_url.
func (c *Client) NativeOrder(ctx context.Context, r NativeRequest) (*NativeResponse, error) {
	body, err := c.orderBody("", r)
	if err != nil {
		return nil, err
	}
	codeURL, x, err := c.placeOrder(ctx, "native", "/v3/pay/transactions/native", body, "code_url")
	if err != nil {
		return nil, err
	}
	return &NativeResponse{CodeURL: codeURL, Exchange: x}, nil
}

// orderBody checks what every trade type has in common — r's fields, and
// appID ("" for the client's) being the merchant's — and returns it as
// the body to send.
func (c *Client) orderBody(appID string, r NativeRequest) (*orderJSON, error) {
	if appID == "" {
		appID = c.cfg.AppID
	} else if !c.ownAppID(appID) {
		return nil, fmt.Errorf("%w: appid %q is not one of the merchant's appids", wxpay.ErrInvalidParam, clip(appID))
	}
	notifyURL := r.NotifyURL
	if notifyURL == "" {
		notifyURL = c.cfg.NotifyURL
	}
	if err := c.validate(&r, notifyURL); err != nil {
		return nil, err
	}
	if err := r.Detail.validate(); err != nil {
		return nil, err
	}
	body := &orderJSON{AppID: appID, MchID: c.cfg.MchID, Description: r.Description, OutTradeNo: r.OutTradeNo,
		NotifyURL: notifyURL, Attach: r.Attach, Amount: amountJSON{Total: r.Total, Currency: "CNY"}, Detail: r.Detail}
	if !r.TimeExpire.IsZero() {
		body.TimeExpire = FormatTime(r.TimeExpire)
	}
	return body, nil
}

// placeOrder sends an order and returns the one field of its reply that
// the trade type answers with (code_url, prepay_id, h5_url). A reply
// without it cannot be used: its outcome is unknown.
func (c *Client) placeOrder(ctx context.Context, op, path string, body *orderJSON, field string) (string, *wxpay.Exchange, error) {
	b, err := encodeJSON(body)
	if err != nil {
		return "", nil, fmt.Errorf("wxpayv3: %w", err)
	}
	reply, x, err := c.call(ctx, op, http.MethodPost, path, b)
	if err != nil {
		return "", nil, err
	}
	var out map[string]any
	if err := checkJSON(reply); err == nil {
		err = json.Unmarshal(reply, &out)
	}
	v, _ := out[field].(string)
	if v == "" || len(v) > 2048 || !utf8.ValidString(v) {
		return "", nil, &TransportError{Op: op, HTTPStatus: x.HTTPStatus,
			Err: fmt.Errorf("%w: reply without %s", ErrMalformed, field), Exchange: x}
	}
	return v, x, nil
}

// QueryResponse is an order's state at WeChat.
type QueryResponse struct {
	Transaction
	Exchange *wxpay.Exchange
}

// QueryOrder asks for an order by out_trade_no
// (GET /v3/pay/transactions/out-trade-no/{no}?mchid=…).
func (c *Client) QueryOrder(ctx context.Context, outTradeNo string) (*QueryResponse, error) {
	if !wxpay.ValidOutTradeNo(outTradeNo) {
		return nil, fmt.Errorf("%w: out_trade_no %q", wxpay.ErrInvalidParam, outTradeNo)
	}
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "?mchid=" + url.QueryEscape(c.cfg.MchID)
	reply, x, err := c.call(ctx, "query", http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	untrusted := func(err error) error {
		return &TransportError{Op: "query", HTTPStatus: x.HTTPStatus, Err: fmt.Errorf("reply: %w", err), Exchange: x}
	}
	t, err := DecodeTransaction(reply)
	if err != nil {
		return nil, untrusted(err)
	}
	if !c.ownAppID(t.AppID) || t.MchID != c.cfg.MchID {
		return nil, untrusted(fmt.Errorf("%w: appid=%q mchid=%q", wxpay.ErrMerchantMismatch, clip(t.AppID), clip(t.MchID)))
	}
	if t.OutTradeNo != outTradeNo {
		return nil, untrusted(errors.New("for out_trade_no " + clip(t.OutTradeNo)))
	}
	return &QueryResponse{Transaction: *t, Exchange: x}, nil
}

// CloseResponse is a successful close.
type CloseResponse struct {
	Exchange *wxpay.Exchange
}

// CloseOrder closes an unpaid order (POST …/out-trade-no/{no}/close, 204).
// v3 has no minimum age; ORDERPAID means it was paid and the payment must
// be recorded.
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) (*CloseResponse, error) {
	if !wxpay.ValidOutTradeNo(outTradeNo) {
		return nil, fmt.Errorf("%w: out_trade_no %q", wxpay.ErrInvalidParam, outTradeNo)
	}
	b, err := encodeJSON(struct {
		MchID string `json:"mchid"`
	}{c.cfg.MchID})
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: %w", err)
	}
	_, x, err := c.call(ctx, "close", http.MethodPost, "/v3/pay/transactions/out-trade-no/"+url.PathEscape(outTradeNo)+"/close", b)
	if err != nil {
		return nil, err
	}
	return &CloseResponse{Exchange: x}, nil
}
