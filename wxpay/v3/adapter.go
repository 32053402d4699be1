package wxpayv3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"wxcheckout/wxpay"
)

// ErrV2Notification is a call of the v2 notification parser on a v3 client.
var ErrV2Notification = errors.New("wxpayv3: API v3 notifications arrive at POST /wxpay/v3/notify, with Wechatpay-* headers")

// Adapter is a v3 Client behind the checkout's WeChat interface, speaking
// v2's types: the checkout service, the reconciler and the admin sync keep
// one path whichever version is configured. Its errors are *wxpay.Error
// (with the v2 codes callers test: ORDERNOTEXIST, ORDERPAID, ORDERCLOSED,
// SYSTEMERROR; other v3 codes kept) and *wxpay.TransportError, so
// wxpay.IsOrderPaid, IsOrderClosed, IsOrderNotExist, IsRetryable and
// IsTransport work on them.
type Adapter struct {
	c         *Client
	notifyURL string
}

// NewAdapter wraps c; notifyURL ("" for c's NotifyURL) is the v3
// notify_url of every order it places.
func NewAdapter(c *Client, notifyURL string) *Adapter {
	if notifyURL == "" {
		notifyURL = c.NotifyURL()
	}
	return &Adapter{c: c, notifyURL: notifyURL}
}

// MinCloseAge is how soon after creation an order may be closed: in v3,
// at once (the five-minute rule is v2's).
func (a *Adapter) MinCloseAge() time.Duration { return 0 }

// Client is the v3 client behind the adapter.
func (a *Adapter) Client() *Client { return a.c }

// UnifiedOrder places r as the v3 order of its trade type: NATIVE (the
// default) → code_url, JSAPI → prepay_id (with r.OpenID under r.AppID),
// MWEB → H5's h5_url as MwebURL (r.SpbillCreateIP is the shopper's
// payer_client_ip; r.SceneInfo's wap_name and wap_url become h5_info's
// app_name and app_url), APP → prepay_id. Body is the description,
// TotalFee the amount, Detail (v2's JSON) v3's detail object (see
// DetailFromV2); v2's product_id and other fields without a v3
// counterpart are not sent.
func (a *Adapter) UnifiedOrder(ctx context.Context, r *wxpay.UnifiedOrderRequest) (*wxpay.UnifiedOrderResponse, error) {
	notifyURL := a.notifyURL
	if notifyURL == "" {
		notifyURL = r.NotifyURL
	}
	field, value, x, err := a.place(ctx, r, notifyURL)
	if err != nil {
		return nil, toV2(err)
	}
	out := &wxpay.UnifiedOrderResponse{Fields: wxpay.Params{field: value}, Exchange: x}
	switch field {
	case "code_url":
		out.CodeURL = value
	case "h5_url":
		out.MwebURL = value
	default:
		out.PrepayID = value
	}
	return out, nil
}

// place sends r as the order of its trade type and returns the field of
// the reply that answers it (code_url, prepay_id or h5_url) and its value.
func (a *Adapter) place(ctx context.Context, r *wxpay.UnifiedOrderRequest, notifyURL string) (field, value string, x *wxpay.Exchange, err error) {
	detail, err := DetailFromV2(r.Detail)
	if err != nil {
		return "", "", nil, err
	}
	switch r.TradeType {
	case "", wxpay.TradeNative:
		resp, err := a.c.NativeOrder(ctx, NativeRequest{Description: r.Body, OutTradeNo: r.OutTradeNo,
			TimeExpire: r.TimeExpire, NotifyURL: notifyURL, Attach: r.Attach, Total: r.TotalFee, Detail: detail})
		if err != nil {
			return "", "", nil, err
		}
		return "code_url", resp.CodeURL, resp.Exchange, nil
	case wxpay.TradeJSAPI:
		resp, err := a.c.JSAPIOrder(ctx, JSAPIRequest{AppID: r.AppID, OpenID: r.OpenID, Description: r.Body,
			OutTradeNo: r.OutTradeNo, TimeExpire: r.TimeExpire, NotifyURL: notifyURL, Attach: r.Attach, Total: r.TotalFee, Detail: detail})
		if err != nil {
			return "", "", nil, err
		}
		return "prepay_id", resp.PrepayID, resp.Exchange, nil
	case wxpay.TradeMWEB:
		resp, err := a.h5Order(ctx, r, notifyURL, detail)
		if err != nil {
			return "", "", nil, err
		}
		return "h5_url", resp.H5URL, resp.Exchange, nil
	case wxpay.TradeAPP:
		resp, err := a.c.AppOrder(ctx, AppRequest{AppID: r.AppID, Description: r.Body, OutTradeNo: r.OutTradeNo,
			TimeExpire: r.TimeExpire, NotifyURL: notifyURL, Attach: r.Attach, Total: r.TotalFee, Detail: detail})
		if err != nil {
			return "", "", nil, err
		}
		return "prepay_id", resp.PrepayID, resp.Exchange, nil
	}
	return "", "", nil, fmt.Errorf("%w: trade_type %q must be NATIVE, JSAPI, MWEB or APP", wxpay.ErrInvalidParam, r.TradeType)
}

// h5Order is UnifiedOrder's MWEB: v2's scene_info
// {"h5_info":{"type":"Wap","wap_url","wap_name"}} (wxpay.H5SceneInfo), when
// given, names the site in h5_info.
func (a *Adapter) h5Order(ctx context.Context, r *wxpay.UnifiedOrderRequest, notifyURL string, detail *Detail) (*H5Response, error) {
	var scene struct {
		H5Info struct {
			WapURL  string `json:"wap_url"`
			WapName string `json:"wap_name"`
		} `json:"h5_info"`
	}
	if r.SceneInfo != "" {
		if err := checkJSON([]byte(r.SceneInfo)); err != nil || json.Unmarshal([]byte(r.SceneInfo), &scene) != nil {
			return nil, fmt.Errorf("%w: scene_info is not the JSON of H5SceneInfo", wxpay.ErrInvalidParam)
		}
	}
	return a.c.H5Order(ctx, H5Request{AppID: r.AppID, PayerClientIP: r.SpbillCreateIP, AppName: scene.H5Info.WapName,
		AppURL: scene.H5Info.WapURL, Description: r.Body, OutTradeNo: r.OutTradeNo, TimeExpire: r.TimeExpire,
		NotifyURL: notifyURL, Attach: r.Attach, Total: r.TotalFee, Detail: detail})
}

// JSAPIPayParams is the client's second signature of a JSAPI prepay_id
// (Client.JSAPIPayParams), as *wxpay.Client has it.
func (a *Adapter) JSAPIPayParams(appID, prepayID string) (map[string]string, error) {
	return a.c.JSAPIPayParams(appID, prepayID)
}

// AppPayParams is the client's second signature of an APP prepay_id
// (Client.AppPayParams).
func (a *Adapter) AppPayParams(appID, prepayID string) (map[string]string, error) {
	return a.c.AppPayParams(appID, prepayID)
}

// OrderQuery queries by out_trade_no; trade_state maps one to one.
func (a *Adapter) OrderQuery(ctx context.Context, outTradeNo string) (*wxpay.OrderQueryResponse, error) {
	q, err := a.c.QueryOrder(ctx, outTradeNo)
	if err != nil {
		return nil, toV2(err)
	}
	return &wxpay.OrderQueryResponse{
		TradeState: q.TradeState, TradeStateDesc: q.TradeStateDesc, OutTradeNo: q.OutTradeNo,
		TransactionID: q.TransactionID, TotalFee: q.Total, CashFee: q.PayerTotal, TimeEnd: q.SuccessTime,
		OpenID: q.OpenID, BankType: q.BankType, Attach: q.Attach, Fields: q.Fields, Exchange: q.Exchange,
	}, nil
}

// CloseOrder closes the order at WeChat (v3: no minimum age).
func (a *Adapter) CloseOrder(ctx context.Context, outTradeNo string) (*wxpay.CloseOrderResponse, error) {
	r, err := a.c.CloseOrder(ctx, outTradeNo)
	if err != nil {
		return nil, toV2(err)
	}
	return &wxpay.CloseOrderResponse{Exchange: r.Exchange}, nil
}

// ParseNotification is v2's parser: in v3 mode nothing arrives there.
func (a *Adapter) ParseNotification([]byte) (*wxpay.Notification, error) {
	return nil, ErrV2Notification
}

// ParseNotificationV3 verifies and decrypts a notification posted to
// /wxpay/v3/notify (Client.ParseNotification).
func (a *Adapter) ParseNotificationV3(h http.Header, body []byte) (*Notification, error) {
	return a.c.ParseNotification(h, body)
}

// v2Codes are the v3 codes whose v2 names callers test.
var v2Codes = map[string]string{
	CodeOrderNotExist: wxpay.CodeOrderNotExist,
	CodeOrderPaid:     wxpay.CodeOrderPaid,
	CodeOrderClosed:   wxpay.CodeOrderClosed,
	CodeSystemError:   wxpay.CodeSystemError,
}

// V2Code is the v2 err_code of a v3 code: renamed when v2 has the same
// meaning under another name, kept otherwise.
func V2Code(code string) string {
	if c, ok := v2Codes[code]; ok {
		return c
	}
	return code
}

// toV2 turns this package's call errors into wxpay's; any other error
// (a request refused before sending, wrapping wxpay.ErrInvalidParam) is
// returned as it is.
func toV2(err error) error {
	var we *Error
	if errors.As(err, &we) {
		return &wxpay.Error{Op: we.Op, ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: V2Code(we.Code),
			ErrCodeDes: we.Message, Exchange: we.Exchange}
	}
	var te *TransportError
	if errors.As(err, &te) {
		return &wxpay.TransportError{Op: te.Op, Err: te.Err, Exchange: te.Exchange}
	}
	return err
}

// Refunds (SPEC §8).

// v2's err_codes of refund calls that v3 names otherwise.
const (
	v2RefundNotExist = "REFUNDNOTEXIST"
	v2NotEnough      = "NOTENOUGH"
)

// Refund sends r as a v3 refund. As for orders, the adapter's notify URL
// (/wxpay/v3/notify) replaces r.NotifyURL when it has one, since the
// checkout may have filled in v2's /wxpay/refund-notify. Errors are as
// UnifiedOrder's; an unknown order is ORDERNOTEXIST and NOT_ENOUGH is
// v2's NOTENOUGH (nothing refunded; the same out_refund_no may be sent
// again later).
func (a *Adapter) Refund(ctx context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	req := *r
	if a.notifyURL != "" {
		req.NotifyURL = a.notifyURL
	}
	resp, err := a.c.Refund(ctx, req)
	if err != nil {
		return nil, refundToV2(err, wxpay.CodeOrderNotExist)
	}
	return &wxpay.RefundResponse{RefundID: resp.RefundID, Status: resp.Status, Fields: resp.Fields,
		Exchange: resp.Exchange}, nil
}

// RefundQuery queries a refund by out_refund_no; an unknown one is v2's
// REFUNDNOTEXIST.
func (a *Adapter) RefundQuery(ctx context.Context, outRefundNo string) (*wxpay.RefundQueryResponse, error) {
	q, err := a.c.QueryRefund(ctx, outRefundNo)
	if err != nil {
		return nil, refundToV2(err, v2RefundNotExist)
	}
	return &wxpay.RefundQueryResponse{OutRefundNo: q.OutRefundNo, RefundID: q.RefundID, Status: q.Status,
		RefundFee: q.RefundFee, SuccessTime: q.SuccessTime, Fields: q.Fields, Exchange: q.Exchange}, nil
}

// refundToV2 is toV2 with the codes of refund calls: RESOURCE_NOT_EXISTS
// becomes notExist (what is missing depends on the call).
func refundToV2(err error, notExist string) error {
	out := toV2(err)
	var we *wxpay.Error
	if errors.As(out, &we) {
		switch ErrCode(err) {
		case CodeResourceNotExists:
			we.ErrCode = notExist
		case CodeNotEnough:
			we.ErrCode = v2NotEnough
		}
	}
	return out
}
