package handlers

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// epay act=refund (SPEC §6, §8). "退款成功" is epay's word for a refund
// WeChat accepted: it is PROCESSING there until WeChat finishes it.
//
// Without out_refund_no, an identical request (same order and money)
// within 24 hours is the same refund. Such a refund gets a derived number,
// "epay:<fen>:<yyyyMMddHHmm, Beijing>" (":2", ":3"… when that one is
// taken by a closed refund): a request is the same refund as a refund of
// the order that is not CLOSED, has a derived number with the same fen,
// and whose minute began less than 24 hours ago. Identical requests at
// the same moment are serialized per order in this process, and meet in
// the database's unique (order, number) index across processes when they
// fall in the same minute.

const epayRefundPrefix = "epay:"

// epayRefundLockCount stripes the per-order lock of epay refunds.
const epayRefundLockCount = 64

func (h *Handler) epayRefundLock(outTradeNo string) func() {
	f := fnv.New32a()
	f.Write([]byte(outTradeNo))
	mu := &h.epayRefundLocks[f.Sum32()%epayRefundLockCount]
	mu.Lock()
	return mu.Unlock
}

// epayRefund answers act=refund: {"code":1,"msg":"退款成功"} or code -1
// with the reason. Only POST: the request carries the key and moves money.
func (h *Handler) epayRefund(c *gin.Context, p map[string]string) {
	if c.Request.Method != http.MethodPost {
		h.epayFail(c, h.epayRefusal(c, http.StatusMethodNotAllowed, c.Request.Method, msgEpayPost))
		return
	}
	ctx := c.Request.Context()
	app, err := h.opt.Gateway.VerifyAppKey(ctx, p["pid"], p["key"])
	if err != nil {
		h.epayFail(c, h.epayRefused(c, err))
		return
	}
	if p["money"] == "" {
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "no money", msgEpayMissing, "money"))
		return
	}
	money, err := gateway.ParseYuan(p["money"])
	if err != nil {
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "money "+strconv.Quote(clipped(p["money"])), msgEpayMoney))
		return
	}
	no := p["out_refund_no"]
	given := no != ""
	if given && !validOutRefundNo(no) {
		h.epayFail(c, h.epayRefusal(c, http.StatusBadRequest, "out_refund_no "+strconv.Quote(clipped(no)), "err_api_out_refund_no", maxOutRefundNo))
		return
	}
	o, err := h.opt.Gateway.MerchantOrder(ctx, app, p["trade_no"], p["out_trade_no"])
	if err != nil {
		h.epayFail(c, h.epayRefused(c, err))
		return
	}
	defer h.epayRefundLock(o.OutTradeNo)()
	if !given {
		var same *models.Refund
		if no, same, err = h.epayDerivedRefund(c, o, money); err != nil {
			h.epayFail(c, h.epayRefused(c, err))
			return
		}
		if same != nil {
			h.epayRefundReply(c, same, nil)
			return
		}
	}
	ref, _, err := h.opt.Gateway.Refund(ctx, checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: money,
		Actor: "app:" + gateway.PidString(app.Pid), MerchantRefundNo: no})
	h.epayRefundReply(c, ref, err)
}

func (h *Handler) epayRefundReply(c *gin.Context, ref *models.Refund, err error) {
	switch {
	case err != nil:
		h.epayFail(c, h.epayRefused(c, err))
	case ref.Status == models.RefundClosed:
		h.epayFail(c, h.epayRefusal(c, http.StatusConflict, "refund "+ref.OutRefundNo+" is CLOSED", "epay_refund_closed"))
	default:
		c.JSON(http.StatusOK, epayFailure{Code: 1, Msg: LangZH.T("epay_refunded")})
	}
}

// epayDerivedRefund is the refund an identical request started within 24
// hours (not CLOSED), or else the number a new one gets.
func (h *Handler) epayDerivedRefund(c *gin.Context, o *models.Order, money models.Money) (string, *models.Refund, error) {
	rs, err := h.opt.Gateway.Refunds(c.Request.Context(), o)
	if err != nil {
		return "", nil, err
	}
	now := h.opt.Now()
	taken := map[string]bool{}
	for i := range rs {
		r := &rs[i]
		if r.MerchantRefundNo == nil {
			continue
		}
		taken[*r.MerchantRefundNo] = true
		at, ok := epayRefundMinute(*r.MerchantRefundNo, money)
		if ok && r.Status != models.RefundClosed && now.Sub(at) < 24*time.Hour {
			return "", r, nil
		}
	}
	base := epayRefundPrefix + strconv.FormatInt(int64(money), 10) + ":" + now.In(wxpay.Beijing()).Format("200601021504")
	no := base
	for n := 2; taken[no]; n++ {
		no = base + ":" + strconv.Itoa(n)
	}
	return no, nil, nil
}

// epayRefundMinute is the minute a derived number of money's refunds was
// made in; false for any other number.
func epayRefundMinute(no string, money models.Money) (time.Time, bool) {
	rest, ok := strings.CutPrefix(no, epayRefundPrefix+strconv.FormatInt(int64(money), 10)+":")
	if !ok || len(rest) < 12 {
		return time.Time{}, false
	}
	at, err := time.ParseInLocation("200601021504", rest[:12], wxpay.Beijing())
	if err != nil || len(rest) > 12 && rest[12] != ':' {
		return time.Time{}, false
	}
	return at, true
}
