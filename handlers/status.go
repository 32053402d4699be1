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
	Expired    bool   `json:"expired"`
	ExpiresAt  int64  `json:"expires_at"` // unix milliseconds
}

func (h *Handler) statusOf(st checkout.OrderStatus) statusJSON {
	return statusJSON{Status: string(st.Status), OutTradeNo: st.OutTradeNo, TotalFee: int64(st.TotalFee),
		Expired: st.Expired(h.opt.Now()), ExpiresAt: st.ExpiresAt.UnixMilli()}
}

// status answers the payment page's poll without calling WeChat (the
// reconciler does that) and without writing: from the service's status
// view, or one database read.
func (h *Handler) status(c *gin.Context) {
	st, err := h.svc.StatusByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		c.JSON(httpStatus(err), gin.H{"error": "order not found"})
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, h.statusOf(st))
}
