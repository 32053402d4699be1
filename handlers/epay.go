package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
)

// The epay V1 endpoints (SPEC §6) that shop systems' 易支付 plugins call:
// submit.php from the shopper's browser, mapi.php from the shop's server,
// api.php to look an order up. The plugins were written against PHP
// gateways, so parameters are read as PHP reads $_REQUEST (epayParams), and
// the JSON replies carry Chinese text, which the plugins show to the shop.

// epayWxpay is the one epay payment type wxcheckout takes.
const epayWxpay = "wxpay"

// Message keys of the epay endpoints' own replies (handlers/i18n.go).
const (
	msgEpayPlaced  = "epay_placed"
	msgEpayFound   = "epay_found"
	msgEpayType    = "err_gw_type"
	msgEpayMissing = "err_gw_missing"
	msgEpayMoney   = "err_gw_money"
	msgEpayRate    = "msg_gateway_rate"
	msgEpayPost    = "err_gw_post"
	msgEpayAct     = "err_gw_act"
)

// epayProblem is why an epay request was refused: submit.php's page status
// and the message, for every endpoint.
type epayProblem struct {
	status int
	key    string
	args   []any
}

// epayParams reads an epay request's parameters as PHP's $_REQUEST holds
// them: the query, with the POST body (urlencoded or multipart) over it, and
// of a name given twice the last value. Plugins post an auto-submitting form
// or redirect with a query; either way the sign covers exactly these values.
func epayParams(c *gin.Context) (map[string]string, error) {
	req := c.Request
	// The body is already capped at maxBody, so all of it fits in memory.
	if err := req.ParseMultipartForm(maxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, err
	}
	if req.MultipartForm != nil {
		defer req.MultipartForm.RemoveAll()
	}
	p := make(map[string]string, len(req.Form))
	for _, vs := range []map[string][]string{req.URL.Query(), req.PostForm} {
		for k, v := range vs {
			if len(v) > 0 {
				p[k] = v[len(v)-1]
			}
		}
	}
	return p, nil
}

// placeEpayOrder authenticates an epay order request and places its order;
// browser is submit.php's, which must say where the shopper returns. The
// checks go in SPEC's order: the sign over everything received, then type
// (only once the sender is known), then money, then the app's rate.
func (h *Handler) placeEpayOrder(c *gin.Context, p map[string]string, clientIP string, browser bool) (*models.Order, *epayProblem) {
	ctx := c.Request.Context()
	app, err := h.opt.Gateway.VerifyEpay(ctx, p)
	if err != nil {
		return nil, h.epayRefused(c, err)
	}
	switch t := p["type"]; {
	case t != "" && t != epayWxpay:
		return nil, h.epayRefusal(c, http.StatusBadRequest, "type "+strconv.Quote(clipped(t)), msgEpayType)
	case p["money"] == "":
		return nil, h.epayRefusal(c, http.StatusBadRequest, "no money", msgEpayMissing, "money")
	}
	amount, err := gateway.ParseYuan(p["money"])
	if err != nil {
		return nil, h.epayRefusal(c, http.StatusBadRequest, "money "+strconv.Quote(clipped(p["money"])), msgEpayMoney)
	}
	if !h.allowGatewayOrder(app) {
		return nil, h.epayRefusal(c, http.StatusTooManyRequests, "app "+gateway.PidString(app.Pid)+" over its rate", msgEpayRate)
	}
	o, _, err := h.opt.Gateway.PlaceGatewayOrder(ctx, checkout.GatewayRequest{App: app, OutTradeNo: p["out_trade_no"],
		Name: p["name"], Amount: amount, NotifyURL: p["notify_url"], ReturnURL: p["return_url"], Param: p["param"],
		Style: models.NotifyEpay, ClientIP: clientIP, NeedReturnURL: browser})
	if err != nil {
		return nil, h.epayRefused(c, err)
	}
	return o, nil
}

// epayPageStatus is submit.php's status for an error of kind k. SPEC §6
// wants a refused request answered 400 whatever was wrong with it (sign,
// pid, a duplicate out_trade_no); only our own trouble and WeChat's differ.
func epayPageStatus(k checkout.Kind) int {
	switch k {
	case checkout.KindInternal:
		return http.StatusInternalServerError
	case checkout.KindUpstream:
		return http.StatusBadGateway
	case checkout.KindLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// epayRefused logs a refusal by the checkout and says what to show.
func (h *Handler) epayRefused(c *gin.Context, err error) *epayProblem {
	status := epayPageStatus(checkout.KindOf(err))
	if status == http.StatusInternalServerError {
		h.log.Error("epay request failed", "err", checkout.LogText(err), "route", c.FullPath(), "request_id", c.GetString(requestIDKey))
	} else {
		h.log.Info("epay request refused", "err", checkout.LogText(err), "route", c.FullPath(), "request_id", c.GetString(requestIDKey))
	}
	key, args := checkout.MessageOf(err)
	return &epayProblem{status: status, key: key, args: args}
}

// epayRefusal logs a refusal of the handlers' own and says what to show.
func (h *Handler) epayRefusal(c *gin.Context, status int, why, key string, args ...any) *epayProblem {
	h.log.Info("epay request refused", "err", why, "route", c.FullPath(), "request_id", c.GetString(requestIDKey))
	return &epayProblem{status: status, key: key, args: args}
}

// clipped cuts a merchant's value for a log line.
func clipped(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// epaySubmit is submit.php: the shopper's browser arrives from the shop
// with a signed order and goes on to its payment page. The same order again
// goes to the same page, which is the receipt once paid.
func (h *Handler) epaySubmit(c *gin.Context) {
	p, err := epayParams(c)
	if err != nil {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	ip, _ := h.client(c)
	o, prob := h.placeEpayOrder(c, p, ip, true)
	if prob != nil {
		if prob.status == http.StatusTooManyRequests {
			c.Header("Retry-After", strconv.Itoa(max(1, 60/h.opt.GatewayRatePerApp))) // one token's wait
		}
		msg := h.language(c).Tf(prob.key, prob.args...)
		h.render(c, prob.status, "error", "error_title", errorPage{Message: msg, Status: prob.status})
		return
	}
	c.Redirect(http.StatusFound, "/pay/"+o.Token)
}
