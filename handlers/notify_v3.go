package handlers

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/metrics"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/v3"
)

// v3RefusalStatus is the HTTP status of a refused v3 notification by its
// refusal; others get 400. WeChat resends on any non-2xx (SPEC §7).
var v3RefusalStatus = map[models.Refusal]int{
	models.RefusalBadSign:       http.StatusUnauthorized,
	models.RefusalUnknownSerial: http.StatusUnauthorized,
	models.RefusalStale:         http.StatusUnauthorized,
	models.RefusalTooLarge:      http.StatusRequestEntityTooLarge,
	models.RefusalNotEnabled:    http.StatusNotFound,
}

// notifyV3 is API v3's notification endpoint (SPEC §7): 204 with an empty
// body for a payment applied, a duplicate or an event the shop does not
// handle; 4xx with {"code":"FAIL","message":…} for a refusal; 5xx only when
// the app itself failed, so that WeChat resends.
func (h *Handler) notifyV3(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, wxpay.MaxBodySize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.countRefusal(c)
			h.opt.Metrics.Notification("v3", metrics.Refused, string(models.RefusalTooLarge))
			h.log.Warn("v3 notification refused", "reason", "body too large", "request_id", c.GetString(requestIDKey))
			jsonFail(c, http.StatusRequestEntityTooLarge, models.RefusalTooLarge.Reason())
			return
		}
		jsonFail(c, http.StatusBadRequest, "unreadable body")
		return
	}
	err = h.svc.HandleNotificationV3(c.Request.Context(), c.Request.Header, body)
	h.countNotification("v3", err)
	switch {
	case err == nil:
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
	case checkout.KindOf(err) == checkout.KindRefused:
		h.countRefusal(c)
		r := checkout.RefusalOf(err)
		status, ok := v3RefusalStatus[r]
		if !ok {
			status = http.StatusBadRequest
		}
		jsonFail(c, status, r.Reason())
	default:
		h.log.Error("v3 notification failed", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey))
		jsonFail(c, http.StatusInternalServerError, "internal error")
	}
}

func jsonFail(c *gin.Context, status int, message string) {
	c.Data(status, "application/json; charset=utf-8", wxpayv3.NotifyFailReply(message))
}

// limitNotifyRefusalsV3 is limitNotifyRefusals for v3: the same count per
// client, answered in v3's JSON.
func (h *Handler) limitNotifyRefusalsV3(c *gin.Context) {
	if _, key := h.client(c); h.notifyRefusals.exhausted(key) {
		h.opt.Metrics.Notification("v3", metrics.Refused, metrics.RateLimited)
		jsonFail(c, http.StatusTooManyRequests, "too many refused notifications")
		c.Abort()
		return
	}
	c.Next()
}
