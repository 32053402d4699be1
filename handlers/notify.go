package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/metrics"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// notify is WeChat Pay's notification endpoint. It answers within WeChat's
// 5 s with exactly the SUCCESS XML for a payment applied or a duplicate, and
// FAIL XML with a reason otherwise: 4xx for a refusal, 5xx only when the app
// itself failed, so that WeChat sends it again.
func (h *Handler) notify(c *gin.Context) { h.readNotification(c, "v2", h.svc.HandleNotification) }

// readNotification reads a v2 notification's body and answers what handle
// made of it.
func (h *Handler) readNotification(c *gin.Context, endpoint string, handle func(context.Context, []byte) error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, wxpay.MaxBodySize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.countRefusal(c)
			h.opt.Metrics.Notification(endpoint, metrics.Refused, string(models.RefusalTooLarge))
			h.log.Warn("notification refused", "reason", "body too large", "request_id", c.GetString(requestIDKey))
			xmlReply(c, http.StatusRequestEntityTooLarge, wxpay.FailReply("body too large"))
			return
		}
		xmlReply(c, http.StatusBadRequest, wxpay.FailReply("unreadable body"))
		return
	}
	err = handle(c.Request.Context(), body)
	h.countNotification(endpoint, err)
	if err != nil {
		status := httpStatus(err)
		switch checkout.KindOf(err) {
		case checkout.KindInternal:
			h.log.Error("notification failed", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey))
		case checkout.KindRefused:
			h.countRefusal(c)
		}
		reason := "internal error"
		if r := checkout.RefusalOf(err); r != "" {
			reason = r.Reason()
		}
		xmlReply(c, status, wxpay.FailReply(reason))
		return
	}
	xmlReply(c, http.StatusOK, wxpay.SuccessReply)
}

// refundNotify is WeChat Pay's v2 refund notification endpoint: the same
// replies as notify, for a decrypted req_info instead of a signed payment.
func (h *Handler) refundNotify(c *gin.Context) {
	h.readNotification(c, "refund", h.svc.HandleRefundNotification)
}

func xmlReply(c *gin.Context, status int, body []byte) {
	c.Data(status, "text/xml; charset=utf-8", body)
}

// limitNotifyRefusals turns away, before reading the body, a client that
// keeps sending notifications we refuse: each costs a parse, a signature
// check and often a database read. WeChat's own are verified and never
// counted, so its servers are not limited.
func (h *Handler) limitNotifyRefusals(c *gin.Context) {
	if _, key := h.client(c); h.notifyRefusals.exhausted(key) {
		endpoint := "v2"
		if c.FullPath() == "/wxpay/refund-notify" {
			endpoint = "refund"
		}
		h.opt.Metrics.Notification(endpoint, metrics.Refused, metrics.RateLimited)
		xmlReply(c, http.StatusTooManyRequests, wxpay.FailReply("too many refused notifications"))
		c.Abort()
		return
	}
	c.Next()
}

func (h *Handler) countRefusal(c *gin.Context) {
	_, key := h.client(c)
	h.notifyRefusals.allow(key)
}
