package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
)

type statusJSON struct {
	Status     string `json:"status"`
	OutTradeNo string `json:"out_trade_no"`
	TotalFee   int64  `json:"total_fee"`
	// RefundedFee is the sum in fen of the order's successful refunds.
	RefundedFee int64 `json:"refunded_fee"`
	Expired     bool  `json:"expired"`
	ExpiresAt   int64 `json:"expires_at"` // unix milliseconds
}

func (h *Handler) statusOf(st checkout.OrderStatus) statusJSON {
	return statusJSON{Status: string(st.Status), OutTradeNo: st.OutTradeNo, TotalFee: int64(st.TotalFee), RefundedFee: int64(st.RefundedFee),
		Expired: st.Expired(h.opt.Now()), ExpiresAt: st.ExpiresAt.UnixMilli()}
}

// status answers the payment page's poll without calling WeChat (the
// reconciler does that) and without writing: from the service's status
// view, or one database read.
func (h *Handler) status(c *gin.Context) {
	st, err := h.svc.StatusByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.statusError(c, err)
		return
	}
	hd := c.Writer.Header()
	hd["Cache-Control"] = noStore
	hd["Content-Type"] = jsonType
	c.Writer.WriteHeader(http.StatusOK)
	var buf [192]byte
	_, _ = c.Writer.Write(h.statusOf(st).appendJSON(buf[:0]))
}

// Header values shared by every poll (net/http only reads them).
var (
	noStore  = []string{"no-store"}
	jsonType = []string{"application/json; charset=utf-8"}
	noSniff  = []string{"nosniff"}
)

// pollHeaders is the status poll's whole middleware: the answer is JSON
// read by the page's script, so of securityHeaders only nosniff matters;
// there is no body to limit, and a line per poll (one a second per open
// page) would drown the log — failures are logged by statusError.
func (h *Handler) pollHeaders(c *gin.Context) {
	c.Writer.Header()["X-Content-Type-Options"] = noSniff
	c.Next()
}

// statusError answers a failed status lookup: 404 only when there is no
// such order, 500 when the lookup itself failed (the page retries).
func (h *Handler) statusError(c *gin.Context, err error) {
	if checkout.KindOf(err) == checkout.KindNotFound {
		c.JSON(http.StatusNotFound, gin.H{"error": "order not found"})
		return
	}
	h.log.Error("order status", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey), "route", c.FullPath())
	c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
}
