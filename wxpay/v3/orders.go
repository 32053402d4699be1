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
}

// NativeResponse is a successful Native order.
type NativeResponse struct {
	CodeURL  string // weixin://wxpay/bizpayurl?pr=…
	Exchange *wxpay.Exchange
}

type nativeJSON struct {
	AppID       string     `json:"appid"`
	MchID       string     `json:"mchid"`
	Description string     `json:"description"`
	OutTradeNo  string     `json:"out_trade_no"`
	TimeExpire  string     `json:"time_expire,omitempty"`
	NotifyURL   string     `json:"notify_url"`
	Attach      string     `json:"attach,omitempty"`
	Amount      amountJSON `json:"amount"`
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
	notifyURL := r.NotifyURL
	if notifyURL == "" {
		notifyURL = c.cfg.NotifyURL
	}
	if err := c.validate(&r, notifyURL); err != nil {
		return nil, err
	}
	body := nativeJSON{AppID: c.cfg.AppID, MchID: c.cfg.MchID, Description: r.Description, OutTradeNo: r.OutTradeNo,
		NotifyURL: notifyURL, Attach: r.Attach, Amount: amountJSON{Total: r.Total, Currency: "CNY"}}
	if !r.TimeExpire.IsZero() {
		body.TimeExpire = FormatTime(r.TimeExpire)
	}
	b, err := encodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: %w", err)
	}
	reply, x, err := c.call(ctx, "native", http.MethodPost, "/v3/pay/transactions/native", b)
	if err != nil {
		return nil, err
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := checkJSON(reply); err != nil || json.Unmarshal(reply, &out) != nil || out.CodeURL == "" {
		return nil, &TransportError{Op: "native", HTTPStatus: x.HTTPStatus,
			Err: fmt.Errorf("%w: reply without code_url", ErrMalformed), Exchange: x}
	}
	return &NativeResponse{CodeURL: out.CodeURL, Exchange: x}, nil
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
	if t.AppID != c.cfg.AppID || t.MchID != c.cfg.MchID {
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
