package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// Every device (SPEC §9). The payment link works wherever it is opened:
// an order gets one WeChat order per way it is paid — its own (Native for
// the shop, APP or JSAPI for a merchant app's order) and further WxOrders
// for the others — each with its own out_trade_no. Paying any of them goes
// through ConfirmPayment and pays the order once; the reconciler queries
// them all.

// Devices are the settings of the ways beyond the Native QR.
type Devices struct {
	// AppID is the official account's appid: WXPAY_APPID.
	AppID string
	// MPSecret is the official account's AppSecret (WXPAY_MP_APPSECRET);
	// without it there is no OAuth and no JSAPI inside WeChat.
	MPSecret string
	// MiniAppID and MiniSecret are the mini program's
	// (WXPAY_MINIPROGRAM_APPID/APPSECRET; default AppID and MPSecret).
	MiniAppID, MiniSecret string
	// H5 turns on MWEB for mobile browsers outside WeChat (WXPAY_H5=1).
	H5 bool
	// SiteName is the wap_name of MWEB's scene_info.
	SiteName string
}

// SNS is what the checkout needs of WeChat's login APIs (wxpay/sns).
// Errors for a code WeChat does not take (unknown, expired, used) wrap
// ErrInvalidCode.
type SNS interface {
	AuthorizeURL(appID, redirectURI, state string) string
	OAuthOpenID(ctx context.Context, appID, secret, code string) (string, error)
	MiniOpenID(ctx context.Context, appID, secret, code string) (string, error)
}

// ErrInvalidCode is an OAuth or jscode2session code WeChat refused.
var ErrInvalidCode = errors.New("invalid code")

// ClientSigner makes the second signature: the parameters the shopper's
// WeChat pays a prepay_id with, signed afresh (never the unifiedorder
// reply's sign). *wxpay.Client and the v3 adapter have it.
type ClientSigner interface {
	JSAPIPayParams(appID, prepayID string) (map[string]string, error)
	AppPayParams(appID, prepayID string) (map[string]string, error)
}

// maxWxOrders bounds the further WeChat orders one order may get: each is a
// call to WeChat and a payable order there.
const maxWxOrders = 20

// Way is how the shopper is about to pay.
type Way struct {
	TradeType string // wxpay.TradeNative, TradeJSAPI, TradeMWEB or TradeAPP
	OpenID    string // JSAPI: the payer's openid under AppID
	// AppID: JSAPI from a mini program names the mini program's appid; ""
	// is the official account's (WXPAY_APPID).
	AppID    string
	ClientIP string // the shopper's IP: MWEB's spbill_create_ip
}

// JSAPIEnabled reports whether a shopper inside WeChat can pay with JSAPI.
func (s *Service) JSAPIEnabled() bool { return s.sns != nil && s.set.Devices.MPSecret != "" }

// H5Enabled reports whether a mobile browser outside WeChat can pay with H5.
func (s *Service) H5Enabled() bool { return s.set.Devices.H5 }

// MiniProgramEnabled reports whether jscode2session can run.
func (s *Service) MiniProgramEnabled() bool { return s.sns != nil && s.miniSecret() != "" }

func (s *Service) miniAppID() string {
	if s.set.Devices.MiniAppID != "" {
		return s.set.Devices.MiniAppID
	}
	return s.set.Devices.AppID
}

func (s *Service) miniSecret() string {
	if s.set.Devices.MiniSecret != "" {
		return s.set.Devices.MiniSecret
	}
	return s.set.Devices.MPSecret
}

// MiniAppID is the appid of the merchant's mini program (mini-program
// JSAPI orders are placed for it).
func (s *Service) MiniAppID() string { return s.miniAppID() }

// OAuthURL is where a shopper inside WeChat goes for the official
// account's snsapi_base authorisation; WeChat comes back to redirectURI
// with a code and state.
func (s *Service) OAuthURL(redirectURI, state string) string {
	return s.sns.AuthorizeURL(s.set.Devices.AppID, redirectURI, state)
}

// OAuthOpenID turns an OAuth code into the shopper's openid under the
// official account. A code WeChat does not take is KindInvalid.
func (s *Service) OAuthOpenID(ctx context.Context, code string) (string, error) {
	if !s.JSAPIEnabled() {
		return "", newError(KindConflict, msgWayOff, nil, wxpay.TradeJSAPI)
	}
	openid, err := s.sns.OAuthOpenID(ctx, s.set.Devices.AppID, s.set.Devices.MPSecret, code)
	return openid, s.snsError(err)
}

// MiniProgramOpenID runs jscode2session for a mini program's wx.login code
// and returns the openid; the session_key stays at WeChat's side of the
// call and is not kept.
func (s *Service) MiniProgramOpenID(ctx context.Context, code string) (string, error) {
	if !s.MiniProgramEnabled() {
		return "", newError(KindConflict, msgWayOff, nil, "miniprogram")
	}
	openid, err := s.sns.MiniOpenID(ctx, s.miniAppID(), s.miniSecret(), code)
	return openid, s.snsError(err)
}

func (s *Service) snsError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInvalidCode):
		return newError(KindInvalid, msgInvalidCode, err)
	}
	return newError(KindUpstream, msgWeChatDown, err)
}

// PayWith returns the WeChat order the shopper pays o with in the given
// way: the order's own when it is of that way, else a WxOrder placed for
// it — reused while it fits (the same payer; for MWEB the same IP and a
// fresh mweb_url), placed anew otherwise. The order must be open.
func (s *Service) PayWith(ctx context.Context, o *models.Order, w Way) (*models.WxOrder, error) {
	switch w.TradeType {
	case wxpay.TradeNative, wxpay.TradeMWEB, wxpay.TradeAPP:
		w.OpenID = ""
	case wxpay.TradeJSAPI:
		if w.OpenID == "" {
			return nil, newError(KindInvalid, msgMissingOpenID, nil)
		}
	default:
		return nil, newError(KindInvalid, msgTradeType, nil)
	}
	if w.TradeType != wxpay.TradeMWEB {
		w.ClientIP = "" // MWEB alone is bound to the shopper's IP
	}
	if w.AppID == s.set.Devices.AppID {
		w.AppID = ""
	}
	now := s.now()
	if !o.Status.Open() || o.Expired(now) || o.Prepay == models.PrepayFailed {
		return nil, newError(KindConflict, msgNotPayableHere, nil)
	}
	if own := ownWxOrder(o); own.Prepay == models.PrepayDone && own.TradeType == w.TradeType &&
		own.OpenID == w.OpenID && own.AppID == w.AppID && w.TradeType != wxpay.TradeMWEB {
		return own, nil
	}
	ws, err := s.store.WxOrders(ctx, o.ID)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	for i := len(ws) - 1; i >= 0; i-- {
		if x := &ws[i]; x.TradeType == w.TradeType && x.AppID == w.AppID && x.Usable(now, w.OpenID, w.ClientIP) {
			return x, nil
		}
	}
	if len(ws) >= maxWxOrders {
		return nil, newError(KindLimited, msgTooManyWays, nil, maxWxOrders)
	}
	if o.ExpiresAt.Sub(now) < time.Minute+5*time.Second {
		return nil, newError(KindConflict, msgOrderExpiring, nil)
	}
	no, err := wxpay.NewOutTradeNo(now, s.rand)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	x := &models.WxOrder{OutTradeNo: no, TradeType: w.TradeType, AppID: w.AppID, OpenID: w.OpenID,
		ClientIP: w.ClientIP, Prepay: models.PrepayPending, CreatedAt: now.UTC()}
	if err := s.store.CreateWxOrder(ctx, o, x, &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper",
		Summary: fmt.Sprintf("WeChat order %s (%s) for paying this order another way", no, w.TradeType)}); err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	return s.placeWxOrder(ctx, o, x)
}

// ownWxOrder is the order's own WeChat order seen as a WxOrder.
func ownWxOrder(o *models.Order) *models.WxOrder {
	tt := o.TradeType
	if tt == "" {
		tt = wxpay.TradeNative
	}
	w := &models.WxOrder{OrderID: o.ID, OutTradeNo: o.OutTradeNo, TradeType: tt, AppID: o.AppID,
		Prepay: o.Prepay, PrepayID: o.PrepayID, PayURL: o.CodeURL, ClientIP: o.ClientIP, CreatedAt: o.CreatedAt}
	if tt == wxpay.TradeJSAPI {
		w.OpenID = o.OpenID
	}
	return w
}

// placeWxOrder calls unifiedorder for a WxOrder, retrying once with
// identical fields when the outcome is unknown, and records the answer.
func (s *Service) placeWxOrder(ctx context.Context, o *models.Order, x *models.WxOrder) (*models.WxOrder, error) {
	req := &wxpay.UnifiedOrderRequest{TradeType: x.TradeType, AppID: x.AppID, Body: o.Body, OutTradeNo: x.OutTradeNo,
		TotalFee: int64(o.TotalFee), SpbillCreateIP: s.set.ServerIP, NotifyURL: s.set.NotifyURL, OpenID: x.OpenID,
		TimeStart: x.CreatedAt.Truncate(time.Second), TimeExpire: o.ExpiresAt}
	switch x.TradeType {
	case wxpay.TradeNative:
		req.ProductID = o.SKU
		if req.ProductID == "" {
			req.ProductID = o.OutTradeNo
		}
	case wxpay.TradeMWEB:
		req.SpbillCreateIP = x.ClientIP
		req.SceneInfo = wxpay.H5SceneInfo(s.set.PublicURL, s.siteName())
	}
	var resp *wxpay.UnifiedOrderResponse
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		resp, err = s.wx.UnifiedOrder(ctx, req)
		s.recordCall(ctx, o, models.EventUnifiedOrder, err, wxExchange(resp, err), "shopper", attempt)
		if err == nil || !wxpay.IsRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err == nil {
		x.Prepay, x.PrepayID = models.PrepayDone, resp.PrepayID
		x.PayURL = resp.CodeURL
		if x.TradeType == wxpay.TradeMWEB {
			x.PayURL = resp.MwebURL
		}
	} else {
		x.Prepay, x.FailReason = models.PrepayFailed, "unifiedorder: "+clip(err.Error())
	}
	if perr := s.store.PlacedWxOrder(ctx, x); perr != nil {
		return nil, newError(KindInternal, msgInternal, perr)
	}
	switch {
	case err == nil:
		return x, nil
	case wxpay.IsTransport(err):
		return nil, newError(KindUpstream, msgWeChatDown, err)
	}
	return nil, newError(KindUpstream, msgWeChatRefused, err, wxErrorText(err))
}

func (s *Service) siteName() string {
	if s.set.Devices.SiteName != "" {
		return s.set.Devices.SiteName
	}
	return "wxcheckout"
}

// ClientParams signs, afresh, what the shopper's WeChat pays a JSAPI or APP
// WeChat order with: pay_params for WeixinJSBridge / wx.requestPayment, or
// app_params for the WeChat SDK.
func (s *Service) ClientParams(x *models.WxOrder) (map[string]string, error) {
	signer, ok := s.wx.(ClientSigner)
	if !ok {
		return nil, newError(KindInternal, msgInternal, errors.New("the WeChat client cannot sign client parameters"))
	}
	appID := x.AppID
	if appID == "" {
		appID = s.set.Devices.AppID
	}
	var p map[string]string
	var err error
	switch x.TradeType {
	case wxpay.TradeJSAPI:
		p, err = signer.JSAPIPayParams(appID, x.PrepayID)
	case wxpay.TradeAPP:
		p, err = signer.AppPayParams(appID, x.PrepayID)
	default:
		return nil, newError(KindInvalid, msgTradeType, nil)
	}
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	return p, nil
}
