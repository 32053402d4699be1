package wxpayv3

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// The trade types beyond Native (SPEC §9): JSAPI inside WeChat and in mini
// programs, H5 in other mobile browsers, APP in the merchant's own app.
// Each shares NativeRequest's fields and rules, and may be placed for
// another appid of the merchant (Config.OtherAppIDs).

type payerJSON struct {
	OpenID string `json:"openid"`
}

type sceneJSON struct {
	PayerClientIP string  `json:"payer_client_ip"`
	H5Info        *h5JSON `json:"h5_info"`
}

type h5JSON struct {
	Type    string `json:"type"`
	AppName string `json:"app_name,omitempty"`
	AppURL  string `json:"app_url,omitempty"`
}

// JSAPIRequest is a JSAPI order: WeChat's payment sheet in its browser
// (an official account's page) or in a mini program.
type JSAPIRequest struct {
	// AppID is the official account's or mini program's appid the payer's
	// openid belongs to; default Config.AppID, else one of OtherAppIDs.
	AppID       string
	OpenID      string // payer.openid under AppID, required
	Description string
	OutTradeNo  string
	TimeExpire  time.Time
	NotifyURL   string
	Attach      string
	Total       int64
	Detail      *Detail // optional: the goods
}

// PrepayResponse is a successful JSAPI or APP order: its prepay_id, valid
// two hours, which the client pays with after the second signature
// (JSAPIPayParams, AppPayParams).
type PrepayResponse struct {
	PrepayID string
	Exchange *wxpay.Exchange
}

// JSAPIOrder places a JSAPI order (POST /v3/pay/transactions/jsapi).
func (c *Client) JSAPIOrder(ctx context.Context, r JSAPIRequest) (*PrepayResponse, error) {
	if r.OpenID == "" || len(r.OpenID) > 128 || !utf8.ValidString(r.OpenID) {
		return nil, fmt.Errorf("%w: payer.openid is required for JSAPI and at most 128 bytes", wxpay.ErrInvalidParam)
	}
	body, err := c.orderBody(r.AppID, NativeRequest{Description: r.Description, OutTradeNo: r.OutTradeNo,
		TimeExpire: r.TimeExpire, NotifyURL: r.NotifyURL, Attach: r.Attach, Total: r.Total, Detail: r.Detail})
	if err != nil {
		return nil, err
	}
	body.Payer = &payerJSON{OpenID: r.OpenID}
	id, x, err := c.placeOrder(ctx, "jsapi", "/v3/pay/transactions/jsapi", body, "prepay_id")
	if err != nil {
		return nil, err
	}
	return &PrepayResponse{PrepayID: id, Exchange: x}, nil
}

// AppRequest is an APP order, paid in the merchant's own app through the
// WeChat SDK.
type AppRequest struct {
	AppID       string // the mobile app's appid; default Config.AppID, else one of OtherAppIDs
	Description string
	OutTradeNo  string
	TimeExpire  time.Time
	NotifyURL   string
	Attach      string
	Total       int64
	Detail      *Detail // optional: the goods
}

// AppOrder places an APP order (POST /v3/pay/transactions/app).
func (c *Client) AppOrder(ctx context.Context, r AppRequest) (*PrepayResponse, error) {
	body, err := c.orderBody(r.AppID, NativeRequest{Description: r.Description, OutTradeNo: r.OutTradeNo,
		TimeExpire: r.TimeExpire, NotifyURL: r.NotifyURL, Attach: r.Attach, Total: r.Total, Detail: r.Detail})
	if err != nil {
		return nil, err
	}
	id, x, err := c.placeOrder(ctx, "app", "/v3/pay/transactions/app", body, "prepay_id")
	if err != nil {
		return nil, err
	}
	return &PrepayResponse{PrepayID: id, Exchange: x}, nil
}

// H5Request is an H5 order, paid from a mobile browser outside WeChat.
type H5Request struct {
	AppID string // default Config.AppID, else one of OtherAppIDs
	// PayerClientIP is the shopper's IP as the server sees it (the client a
	// trusted proxy names): WeChat's cashier pays only from that IP.
	PayerClientIP string
	AppName       string // optional h5_info.app_name, the site's name, ≤64 bytes
	AppURL        string // optional h5_info.app_url, the site's address, ≤128 bytes
	Description   string
	OutTradeNo    string
	TimeExpire    time.Time
	NotifyURL     string
	Attach        string
	Total         int64
	Detail        *Detail // optional: the goods
}

// H5Response is a successful H5 order: the cashier page to send the shopper
// to, valid five minutes; append &redirect_url=<urlencoded> to come back.
type H5Response struct {
	H5URL    string
	Exchange *wxpay.Exchange
}

// H5Order places an H5 order (POST /v3/pay/transactions/h5) with
// scene_info {payer_client_ip, h5_info {type: "Wap", …}}.
func (c *Client) H5Order(ctx context.Context, r H5Request) (*H5Response, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", wxpay.ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	switch {
	case len(r.PayerClientIP) > 45 || net.ParseIP(r.PayerClientIP) == nil:
		return nil, bad("scene_info.payer_client_ip %q is not an IP address", clip(r.PayerClientIP))
	case len(r.AppName) > 64 || !utf8.ValidString(r.AppName):
		return nil, bad("h5_info.app_name must be at most 64 bytes of UTF-8")
	case len(r.AppURL) > 128 || !utf8.ValidString(r.AppURL):
		return nil, bad("h5_info.app_url must be at most 128 bytes of UTF-8")
	}
	body, err := c.orderBody(r.AppID, NativeRequest{Description: r.Description, OutTradeNo: r.OutTradeNo,
		TimeExpire: r.TimeExpire, NotifyURL: r.NotifyURL, Attach: r.Attach, Total: r.Total, Detail: r.Detail})
	if err != nil {
		return nil, err
	}
	body.SceneInfo = &sceneJSON{PayerClientIP: r.PayerClientIP,
		H5Info: &h5JSON{Type: "Wap", AppName: r.AppName, AppURL: r.AppURL}}
	h5URL, x, err := c.placeOrder(ctx, "h5", "/v3/pay/transactions/h5", body, "h5_url")
	if err != nil {
		return nil, err
	}
	// The shopper's browser is sent there: only an absolute http(s) URL.
	if u, err := url.Parse(h5URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &TransportError{Op: "h5", HTTPStatus: x.HTTPStatus,
			Err: fmt.Errorf("%w: h5_url %q is not an http(s) URL", ErrMalformed, clip(h5URL)), Exchange: x}
	}
	return &H5Response{H5URL: h5URL, Exchange: x}, nil
}
