package handlers

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

// mapi.php and api.php answer the shop's server. Every reply is HTTP 200
// JSON whose code is 1 or -1 (SPEC §6): the plugins read code, not the
// status, and show msg, in Chinese, to the shop's admin.

type epayFailure struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

// epayPlaced is mapi.php's reply to an order placed.
type epayPlaced struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	TradeNo string `json:"trade_no"`
	PayURL  string `json:"payurl"`
	QRCode  string `json:"qrcode"`
}

// epayOrder is api.php's act=order reply, field for field as epay's.
type epayOrder struct {
	Code       int    `json:"code"`
	Msg        string `json:"msg"`
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	APITradeNo string `json:"api_trade_no"`
	Type       string `json:"type"`
	Pid        int64  `json:"pid"`
	AddTime    string `json:"addtime"`
	EndTime    string `json:"endtime"`
	Name       string `json:"name"`
	Money      string `json:"money"`
	Status     int    `json:"status"`
	Param      string `json:"param"`
	Buyer      string `json:"buyer"`
}

func (h *Handler) epayFail(c *gin.Context, p *epayProblem) {
	c.JSON(http.StatusOK, epayFailure{Code: -1, Msg: LangZH.Tf(p.key, p.args...)})
}

// epayMAPI is mapi.php: the shop's server places an order and gets back the
// payment page and the code_url to show as its own QR. Only POST: the
// plugins post, and a GET would put the order in every proxy's log.
func (h *Handler) epayMAPI(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		h.epayFail(c, h.epayRefusal(c, http.StatusMethodNotAllowed, c.Request.Method, msgEpayPost))
		return
	}
	p, err := epayParams(c)
	if err != nil {
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "form: "+err.Error(), msgBadRequest))
		return
	}
	// The order is the shopper's, whose address the shop sends as clientip;
	// the peer is the shop's server.
	ip := epayClientIP(p["clientip"])
	if ip == "" {
		ip, _ = h.client(c)
	}
	o, prob := h.placeEpayOrder(c, p, ip, false)
	if prob != nil {
		h.epayFail(c, prob)
		return
	}
	c.JSON(http.StatusOK, epayPlaced{Code: 1, Msg: LangZH.T(msgEpayPlaced), TradeNo: o.OutTradeNo,
		PayURL: strings.TrimSuffix(h.opt.Gateway.PublicURL(), "/") + "/pay/" + o.Token, QRCode: o.CodeURL})
}

// epayClientIP is clientip when it is an IP address (without a zone), in
// its canonical form; "" otherwise. The shop may send anything there.
func epayClientIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return ""
	}
	return a.Unmap().String()
}

// epayAPI is api.php. act=order looks one of the app's orders up by pid and
// key (GET or POST: plugins do both); act=refund refunds one (POST only).
func (h *Handler) epayAPI(c *gin.Context) {
	if m := c.Request.Method; m != http.MethodGet && m != http.MethodPost {
		h.epayFail(c, h.epayRefusal(c, http.StatusMethodNotAllowed, m, msgMethod))
		return
	}
	p, err := epayParams(c)
	if err != nil {
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "form: "+err.Error(), msgBadRequest))
		return
	}
	switch p["act"] {
	case "order":
		h.epayQuery(c, p)
	case "refund":
		h.epayRefund(c, p)
	default:
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "act "+clipped(p["act"]), msgEpayAct))
	}
}

// epayQuery answers act=order with the order as epay shows it.
func (h *Handler) epayQuery(c *gin.Context, p map[string]string) {
	ctx := c.Request.Context()
	app, err := h.opt.Gateway.VerifyAppKey(ctx, p["pid"], p["key"])
	if err != nil {
		h.epayFail(c, h.epayRefused(c, err))
		return
	}
	o, err := h.opt.Gateway.MerchantOrder(ctx, app, p["trade_no"], p["out_trade_no"])
	if err != nil {
		h.epayFail(c, h.epayRefused(c, err))
		return
	}
	c.JSON(http.StatusOK, newEpayOrder(o))
}

func newEpayOrder(o *models.Order) epayOrder {
	r := epayOrder{Code: 1, Msg: LangZH.T(msgEpayFound), TradeNo: o.OutTradeNo, OutTradeNo: o.MerchantOutTradeNo(),
		APITradeNo: o.TransactionID, Type: epayWxpay, Pid: o.AppPid, AddTime: gateway.EpayTime(o.CreatedAt),
		Name: o.ItemName, Money: gateway.FormatYuan(o.TotalFee), Param: o.Param, Buyer: o.OpenID}
	if o.Status.Paid() {
		r.Status = 1
	}
	if o.PaidAt != nil {
		r.EndTime = gateway.EpayTime(*o.PaidAt)
	}
	return r
}
