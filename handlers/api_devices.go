package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The merchant's own apps (SPEC §9, docs/api.md "APP and mini-program
// backends"): an APP or mini-program order is answered with what the
// client hands WeChat's SDK, signed afresh by the server; a mini program's
// wx.login code is turned into its openid here, so the AppSecret and the
// session_key never reach the client.

// appPayments is what these endpoints need of the checkout beyond the
// Gateway; *checkout.Service has it.
type appPayments interface {
	// ClientPayment signs the client parameters of an APP or JSAPI
	// (mini-program) payment of o.
	ClientPayment(ctx context.Context, o *models.Order, tradeType, openID string) (map[string]string, error)
	// MiniProgramOpenID runs jscode2session for a wx.login code.
	MiniProgramOpenID(ctx context.Context, code string) (string, error)
}

// maxMiniCode is the longest wx.login code taken; WeChat's are 32
// characters.
const maxMiniCode = 128

// appParams are the fields of the WeChat SDK's PayReq (WXApi sendReq).
type appParams struct {
	AppID     string `json:"appid"`
	PartnerID string `json:"partnerid"`
	PrepayID  string `json:"prepayid"`
	Package   string `json:"package"`
	NonceStr  string `json:"noncestr"`
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
}

// payParams are wx.requestPayment's fields. The appId the JSAPI signature
// covers is left out: wx.requestPayment takes the mini program's own.
type payParams struct {
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// apiPayableOrder is an order with its client parameters, as POST
// /api/v1/orders answers an APP or JSAPI order.
type apiPayableOrder struct {
	gateway.Order
	AppParams *appParams `json:"app_params,omitempty"`
	PayParams *payParams `json:"pay_params,omitempty"`
}

// checkTradeType refuses, before anything is created, a trade type the API
// does not take (MWEB is the payment page's), and what the checkout would
// take silently: an openid beside another trade type, or a malformed one.
func checkTradeType(req apiOrderRequest) error {
	switch req.TradeType {
	case "", wxpay.TradeNative, wxpay.TradeAPP, wxpay.TradeJSAPI:
	default:
		return &checkout.Error{Kind: checkout.KindInvalid, Key: "err_trade_type"}
	}
	switch {
	case req.OpenID != "" && req.TradeType != wxpay.TradeJSAPI:
		return apiBadRequest(http.StatusBadRequest, codeInvalidOpenID, "err_api_openid_not_jsapi")
	case req.OpenID != "" && !printableASCII(req.OpenID, 128):
		return apiBadRequest(http.StatusBadRequest, codeInvalidOpenID, "err_api_openid", 128)
	}
	return nil
}

// clientPayment is the reply to POST /api/v1/orders for an APP or JSAPI
// order: the order with its app_params or pay_params. A repeat of an order
// paid meanwhile is answered with the order alone: its status says there
// is nothing left to pay.
func (h *Handler) clientPayment(c *gin.Context, o *models.Order, req apiOrderRequest) (any, error) {
	obj := h.opt.Gateway.GatewayOrder(o)
	ap, ok := h.opt.Gateway.(appPayments)
	if !ok {
		return nil, errors.New("the gateway cannot sign client parameters")
	}
	p, err := ap.ClientPayment(c.Request.Context(), o, req.TradeType, req.OpenID)
	if err != nil {
		if key, _ := checkout.MessageOf(err); key == "err_not_payable_now" && o.Status.Paid() {
			return obj, nil
		}
		return nil, err
	}
	out := apiPayableOrder{Order: obj}
	switch req.TradeType {
	case wxpay.TradeAPP:
		out.AppParams = &appParams{AppID: p["appid"], PartnerID: p["partnerid"], PrepayID: p["prepayid"],
			Package: p["package"], NonceStr: p["noncestr"], Timestamp: p["timestamp"], Sign: p["sign"]}
		err = allSet(out.AppParams.AppID, out.AppParams.PartnerID, out.AppParams.PrepayID, out.AppParams.Package,
			out.AppParams.NonceStr, out.AppParams.Timestamp, out.AppParams.Sign)
	case wxpay.TradeJSAPI:
		out.PayParams = &payParams{TimeStamp: p["timeStamp"], NonceStr: p["nonceStr"], Package: p["package"],
			SignType: p["signType"], PaySign: p["paySign"]}
		err = allSet(out.PayParams.TimeStamp, out.PayParams.NonceStr, out.PayParams.Package,
			out.PayParams.SignType, out.PayParams.PaySign)
	}
	return out, err
}

// allSet guards the client's payment: a field left empty fails in WeChat's
// SDK with an opaque error, far from here.
func allSet(vs ...string) error {
	for _, v := range vs {
		if v == "" {
			return errors.New("the client parameters miss a field")
		}
	}
	return nil
}

// apiMiniSession is POST /api/v1/miniprogram/session {"code"}: the mini
// program's wx.login code → 200 {"openid"}. An unknown or used code is 400
// invalid_code.
func (h *Handler) apiMiniSession(c *gin.Context) {
	var code string
	if err := decodeJSONBody(c, map[string]any{"code": &code}); err != nil {
		h.apiFail(c, err)
		return
	}
	switch {
	case code == "":
		h.apiFail(c, &checkout.Error{Kind: checkout.KindInvalid, Key: "err_gw_missing", Args: []any{"code"}})
		return
	case !printableASCII(code, maxMiniCode):
		h.apiFail(c, apiBadRequest(http.StatusBadRequest, codeInvalidCode, "err_api_code", maxMiniCode))
		return
	}
	ap, ok := h.opt.Gateway.(appPayments)
	if !ok {
		h.apiFail(c, errors.New("the gateway cannot run jscode2session"))
		return
	}
	openid, err := ap.MiniProgramOpenID(c.Request.Context(), code)
	if key, _ := checkout.MessageOf(err); key == "err_way_off" {
		err = &apiError{status: http.StatusConflict, code: codeNotConfigured, key: "err_api_mini_off", cause: err}
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"openid": openid})
}

// printableASCII: 1 to most characters from '!' to '~'.
func printableASCII(s string, most int) bool {
	if len(s) < 1 || len(s) > most {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
