package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[checkout.Kind]int{
	checkout.KindInternal:     http.StatusInternalServerError,
	checkout.KindInvalid:      http.StatusBadRequest,
	checkout.KindNotFound:     http.StatusNotFound,
	checkout.KindConflict:     http.StatusConflict,
	checkout.KindUpstream:     http.StatusBadGateway,
	checkout.KindRefused:      http.StatusBadRequest,
	checkout.KindLimited:      http.StatusTooManyRequests,
	checkout.KindUnauthorized: http.StatusUnauthorized,
}

func httpStatus(err error) int { return statusOf[checkout.KindOf(err)] }

type errorPage struct {
	Message string
	Status  int
}

// fail logs err with the request id and shows a page with only the text
// that is safe to show.
func (h *Handler) fail(c *gin.Context, err error) {
	status := httpStatus(err)
	msg := h.language(c).Error(err)
	if status == http.StatusInternalServerError {
		h.log.Error("request failed", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey), "path", c.FullPath())
	} else {
		h.log.Info("request refused", "err", checkout.LogText(err), "status", status, "request_id", c.GetString(requestIDKey))
	}
	h.render(c, status, "error", "error_title", errorPage{Message: msg, Status: status})
}

// renderError shows an error page with a message key.
func (h *Handler) renderError(c *gin.Context, status int, key string) {
	h.render(c, status, "error", "error_title", errorPage{Message: h.language(c).T(key), Status: status})
}
