package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

type statusJSON struct {
	Status     string `json:"status"`
	OutTradeNo string `json:"out_trade_no"`
	TotalFee   int64  `json:"total_fee"`
	Expired    bool   `json:"expired"`
	ExpiresAt  int64  `json:"expires_at"` // unix milliseconds
}

func (h *Handler) statusOf(o *models.Order) statusJSON {
	return statusJSON{Status: string(o.Status), OutTradeNo: o.OutTradeNo, TotalFee: int64(o.TotalFee),
		Expired: o.Expired(h.opt.Now()), ExpiresAt: o.ExpiresAt.UnixMilli()}
}

// status answers the payment page's poll from the database alone: it never
// calls WeChat (the reconciler does that) and never writes.
func (h *Handler) status(c *gin.Context) {
	o, err := h.svc.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		c.JSON(httpStatus(err), gin.H{"error": "order not found"})
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, h.statusOf(o))
}
