package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
)

// maxOutRefundNo is the longest merchant out_refund_no (WeChat's limit).
const maxOutRefundNo = 64

// apiRefundRequest is the body of POST /api/v1/orders/:trade_no/refunds.
type apiRefundRequest struct {
	OutRefundNo string
	Amount      int64 // fen
	Reason      string
}

func (r *apiRefundRequest) fields() map[string]any {
	return map[string]any{"out_refund_no": &r.OutRefundNo, "amount": &r.Amount, "reason": &r.Reason}
}

// apiRefundReply is a refund as the API shows it (SPEC §8): out_refund_no
// is the merchant's; wxcheckout sends its own to WeChat.
type apiRefundReply struct {
	OutRefundNo string `json:"out_refund_no"`
	RefundID    string `json:"refund_id"`
	Amount      int64  `json:"amount"`
	Reason      string `json:"reason"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
}

// validOutRefundNo: 1–64 printable ASCII characters, no space.
func validOutRefundNo(s string) bool {
	if len(s) < 1 || len(s) > maxOutRefundNo {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// apiRefund is POST /api/v1/orders/:trade_no/refunds: 201 with a new
// refund, 200 with the existing one when the same out_refund_no comes
// again with the same amount, 409 with another amount.
func (h *Handler) apiRefund(c *gin.Context) {
	var req apiRefundRequest
	if err := decodeJSONBody(c, req.fields()); err != nil {
		h.apiFail(c, err)
		return
	}
	if !validOutRefundNo(req.OutRefundNo) {
		h.apiFail(c, apiBadRequest(http.StatusBadRequest, "invalid_out_refund_no", "err_api_out_refund_no", maxOutRefundNo))
		return
	}
	ctx := c.Request.Context()
	app := apiApp(c)
	o, err := h.opt.Gateway.MerchantOrder(ctx, app, c.Param("trade_no"), "")
	if err != nil {
		h.apiFail(c, err)
		return
	}
	ref, created, err := h.opt.Gateway.Refund(ctx, checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: models.Money(req.Amount),
		Reason: req.Reason, Actor: "app:" + gateway.PidString(app.Pid), MerchantRefundNo: req.OutRefundNo})
	if err != nil {
		h.apiFail(c, apiRefundError(err))
		return
	}
	status := http.StatusOK // a repeat of the same out_refund_no and amount
	if created {
		status = http.StatusCreated
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, apiRefundReply{OutRefundNo: req.OutRefundNo, RefundID: ref.RefundID, Amount: int64(ref.Amount),
		Reason: ref.Reason, Status: string(ref.Status), CreatedAt: gateway.RFC3339(ref.CreatedAt)})
}

// apiRefundError: SPEC §8 answers a refund of an unpaid order 400, like an
// amount over the refundable one, where the checkout calls it a conflict.
func apiRefundError(err error) error {
	if key, _ := checkout.MessageOf(err); key == "err_refund_not_paid" {
		return &apiError{status: http.StatusBadRequest, code: apiCodeOfKey[key], cause: err}
	}
	return err
}
