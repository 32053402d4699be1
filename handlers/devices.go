package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// Every device (SPEC §9): GET /pay/:token picks the way to pay by the
// browser — the Native QR on a PC, JSAPI after the official account's
// OAuth inside WeChat, H5 in other mobile browsers — and honest
// instructions where a way is not configured. Never "long-press the QR":
// WeChat refuses a Native code recognised from an image.

// Devices is what the payment page needs of the checkout beyond the QR;
// *checkout.Service has it.
type Devices interface {
	JSAPIEnabled() bool
	H5Enabled() bool
	OAuthURL(redirectURI, state string) string
	OAuthOpenID(ctx context.Context, code string) (string, error)
	PayWith(ctx context.Context, o *models.Order, w checkout.Way) (*models.WxOrder, error)
	ClientParams(x *models.WxOrder) (map[string]string, error)
	Sync(ctx context.Context, no, actor string) error
}

// Ways the payment page shows.
const (
	wayQR          = "qr"             // the Native QR
	wayJSAPI       = "jsapi"          // WeChat's payment sheet
	wayH5          = "h5"             // the H5 cashier
	wayOpenWeChat  = "open-in-wechat" // a phone browser without H5: open the link in WeChat
	wayOtherDevice = "other-device"   // inside WeChat without JSAPI: scan from another device
)

// device is the kind of browser, by its User-Agent.
type device int

const (
	devicePC device = iota
	deviceWeChat
	deviceMobile
)

func deviceOf(ua string) device {
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		return deviceWeChat
	case strings.Contains(ua, "Mobile"), strings.Contains(ua, "Android"), strings.Contains(ua, "iPhone"):
		return deviceMobile
	}
	return devicePC
}

// wayFor picks the way for a browser; ?way=qr always asks for the QR.
func (h *Handler) wayFor(c *gin.Context) string {
	if c.Query("way") == wayQR {
		return wayQR
	}
	d := h.opt.Devices
	switch deviceOf(c.Request.UserAgent()) {
	case deviceWeChat:
		if d != nil && d.JSAPIEnabled() {
			return wayJSAPI
		}
		return wayOtherDevice
	case deviceMobile:
		if d != nil && d.H5Enabled() {
			return wayH5
		}
		return wayOpenWeChat
	}
	return wayQR
}

// Cookies of the OAuth round trip, scoped to the order's page: the state
// this browser was given (once), and the openid WeChat named.
const (
	oauthStateCookie = "wxc_oauth"
	openIDCookie     = "wxc_openid"
	oauthStateLife   = 10 * time.Minute
)

// pageMAC binds a value to one order's page with the site's page secret.
func (h *Handler) pageMAC(parts ...string) string {
	m := hmac.New(sha256.New, h.opt.PageSecret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// pageCookie sets a cookie of one order's page for life; a life of zero or
// less deletes it (Max-Age=0: a MaxAge of 0 would leave a session cookie).
func (h *Handler) pageCookie(c *gin.Context, token, name, value string, life time.Duration) {
	maxAge := int(life / time.Second)
	if maxAge <= 0 {
		maxAge, value = -1, ""
	}
	c.SetSameSite(http.SameSiteLaxMode) // sent on WeChat's redirect back to us
	c.SetCookie(name, value, maxAge, "/pay/"+token, "", h.opt.SecureCookies, true)
}

// startOAuth sends a shopper inside WeChat to the official account's
// snsapi_base authorisation. The state is random, kept in a cookie of this
// browser for this order's page, and MACed with the order's token.
func (h *Handler) startOAuth(c *gin.Context, o *models.Order) {
	var b [16]byte
	rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	state := nonce + "." + h.pageMAC("oauth-state", o.Token, nonce)
	h.pageCookie(c, o.Token, oauthStateCookie, nonce, oauthStateLife)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, h.opt.Devices.OAuthURL(h.pageURL(o)+"/oauth", state))
}

// pageURL is the order's payment page at the site's public address.
func (h *Handler) pageURL(o *models.Order) string {
	return strings.TrimRight(h.opt.PublicURL, "/") + "/pay/" + o.Token
}

// oauthReturn is where WeChat sends the shopper back with code and state.
// Only the state this browser was given for this order, once, is taken;
// anything else is a 400 page — no redirect, no order placed.
func (h *Handler) oauthReturn(c *gin.Context) {
	d := h.opt.Devices
	if d == nil || !d.JSAPIEnabled() {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	o, err := h.svc.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	state, code := c.Query("state"), c.Query("code")
	nonce, mac, _ := strings.Cut(state, ".")
	cookie, cerr := c.Cookie(oauthStateCookie)
	if cerr != nil || nonce == "" || len(state) > 128 ||
		subtle.ConstantTimeCompare([]byte(cookie), []byte(nonce)) != 1 ||
		subtle.ConstantTimeCompare([]byte(mac), []byte(h.pageMAC("oauth-state", o.Token, nonce))) != 1 {
		h.log.Info("oauth: refused a state not issued to this browser for this order", "out_trade_no", o.OutTradeNo,
			"request_id", c.GetString(requestIDKey))
		h.renderError(c, http.StatusBadRequest, "err_oauth_state")
		return
	}
	h.pageCookie(c, o.Token, oauthStateCookie, "", -1) // once
	if code == "" || len(code) > 128 {
		h.renderError(c, http.StatusBadRequest, "err_invalid_code")
		return
	}
	openid, err := d.OAuthOpenID(c.Request.Context(), code)
	if err != nil {
		h.fail(c, err)
		return
	}
	// The openid is good whatever happens next: kept first, so that the page
	// never sends this browser round the OAuth again for this order.
	// On the site's clock, not the machine's; at least as long as a state.
	life := max(o.ExpiresAt.Sub(h.opt.Now())+time.Hour, oauthStateLife)
	h.pageCookie(c, o.Token, openIDCookie, openid+"."+h.pageMAC("openid", o.Token, openid), life)
	if o.Status.Open() && !o.Expired(h.opt.Now()) {
		if _, err := d.PayWith(c.Request.Context(), o, checkout.Way{TradeType: wxpay.TradeJSAPI, OpenID: openid}); err != nil {
			// Not an error page: the payment page says why (too many tries,
			// WeChat down, too little time left) beside the QR and the link,
			// and tries again when reloaded.
			h.log.Warn("oauth: JSAPI order", "out_trade_no", o.OutTradeNo, "err", checkout.LogText(err),
				"request_id", c.GetString(requestIDKey))
		}
	}
	c.Redirect(http.StatusSeeOther, "/pay/"+o.Token)
}

// openIDOf is the openid this browser's OAuth named for this order's page.
func (h *Handler) openIDOf(c *gin.Context, o *models.Order) string {
	v, err := c.Cookie(openIDCookie)
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(v, '.')
	if i <= 0 || subtle.ConstantTimeCompare([]byte(v[i+1:]), []byte(h.pageMAC("openid", o.Token, v[:i]))) != 1 {
		return ""
	}
	return v[:i]
}

// wayView is what the payment page shows of the way to pay.
type wayView struct {
	Way string
	// PayParams is the JSON of JSAPI's getBrandWCPayRequest parameters.
	PayParams string
	// BridgeURL is the simulator's stand-in for WeixinJSBridge.
	BridgeURL string
	H5Return  bool // back from the H5 cashier
	Checked   bool // "已完成支付" asked WeChat, and no payment is known yet
	PageURL   string
	// Problem is a message key: the way could not be set up now (WeChat
	// down, too many attempts); the QR and the link remain.
	Problem string
	// CodeURL is what the QR encodes: the order's own, or a Native
	// WeChat order placed for an order of another trade type.
	CodeURL string
}

// ShowQR: the QR is on the page — the way itself, or for another device.
func (w wayView) ShowQR() bool { return w.Way != wayJSAPI && w.Way != wayH5 || w.Problem != "" }

// setUpWay prepares the page's way to pay for an open order. It answers
// false when it has already answered (the OAuth redirect).
func (h *Handler) setUpWay(c *gin.Context, o *models.Order, d *payData) bool {
	w := wayView{Way: h.wayFor(c), PageURL: h.pageURL(o), CodeURL: o.CodeURL,
		H5Return: c.Query("h5") == "1", Checked: c.Query("checked") == "1"}
	ctx := c.Request.Context()
	dev := h.opt.Devices
	if w.Way == wayJSAPI {
		openid := h.openIDOf(c, o)
		if openid == "" {
			h.startOAuth(c, o)
			return false
		}
		x, err := dev.PayWith(ctx, o, checkout.Way{TradeType: wxpay.TradeJSAPI, OpenID: openid})
		var p map[string]string
		if err == nil {
			p, err = dev.ClientParams(x)
		}
		if err != nil {
			w.Problem = h.problem(c, o, err)
		} else {
			b, _ := json.Marshal(p)
			w.PayParams, w.BridgeURL = string(b), h.opt.JSBridgeURL
		}
	}
	if w.ShowQR() && o.TradeType != "" && o.TradeType != wxpay.TradeNative {
		// An order placed for a merchant's app, opened on a PC: a Native
		// WeChat order of its own gives the QR.
		w.CodeURL = ""
		if dev != nil {
			if x, err := dev.PayWith(ctx, o, checkout.Way{TradeType: wxpay.TradeNative}); err == nil {
				w.CodeURL = x.PayURL
			} else if w.Problem == "" {
				w.Problem = h.problem(c, o, err)
			}
		}
	}
	if h.opt.ScanURL != "" && w.CodeURL != "" && w.ShowQR() {
		d.ScanURL = h.opt.ScanURL + "?code_url=" + url.QueryEscape(w.CodeURL)
	}
	if w.Way == wayH5 {
		h.csrfToken(c)
	}
	d.Way = w
	return true
}

func (h *Handler) problem(c *gin.Context, o *models.Order, err error) string {
	h.log.Warn("payment page: way to pay", "out_trade_no", o.OutTradeNo, "err", checkout.LogText(err),
		"request_id", c.GetString(requestIDKey))
	return h.errorText(c, err)
}

// h5Pay places (or reuses) the order's H5 WeChat order for the shopper's IP
// and sends the browser to WeChat's cashier, which comes back to the page.
func (h *Handler) h5Pay(c *gin.Context) {
	d := h.opt.Devices
	if d == nil || !d.H5Enabled() {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	ctx := c.Request.Context()
	o, err := h.svc.OrderByToken(ctx, c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if !o.Status.Open() || o.Expired(h.opt.Now()) {
		c.Redirect(http.StatusSeeOther, "/pay/"+o.Token) // the receipt, or the expired page
		return
	}
	ip, _ := h.client(c)
	x, err := d.PayWith(ctx, o, checkout.Way{TradeType: wxpay.TradeMWEB, ClientIP: ip})
	if err != nil {
		h.fail(c, err)
		return
	}
	back := h.pageURL(o) + "?h5=1"
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, x.PayURL+"&redirect_url="+url.QueryEscape(back))
}

// payCheck is "已完成支付": ask WeChat now instead of waiting for the
// notification, then show the page again.
func (h *Handler) payCheck(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := h.svc.OrderByToken(ctx, c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	next := "/pay/" + o.Token
	if o.Status.Open() && !o.Expired(h.opt.Now()) && h.opt.Devices != nil {
		if err := h.opt.Devices.Sync(ctx, o.OutTradeNo, "shopper"); err != nil {
			h.log.Warn("payment page: check with WeChat", "out_trade_no", o.OutTradeNo, "err", checkout.LogText(err))
		}
		if now, err := h.svc.OrderByToken(ctx, o.Token); err == nil && now.Status.Open() {
			next += "?h5=1&checked=1"
		}
	}
	c.Redirect(http.StatusSeeOther, next)
}
