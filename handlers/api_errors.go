package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
)

// The JSON API's error codes (docs/api.md): stable, for programs; the
// message beside each is for people.
const (
	codeInvalidJSON      = "invalid_json"
	codeUnknownField     = "unknown_field"
	codeInvalidType      = "invalid_type"
	codeMediaType        = "unsupported_media_type"
	codeTooLarge         = "body_too_large"
	codeInvalidRequest   = "invalid_request"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeRateLimited      = "rate_limited"
	codeUpstream         = "upstream_error"
	codeInternal         = "internal_error"
	// Every device (SPEC §9).
	codeInvalidCode   = "invalid_code"
	codeInvalidOpenID = "invalid_openid"
	codeNotConfigured = "not_configured"
)

// apiCodeOfKey names the checkout's refusals that a program may want to
// tell apart; other errors get their kind's code.
var apiCodeOfKey = map[string]string{
	"err_gw_missing":       "missing_field",
	"err_gw_money":         "invalid_amount",
	"err_gw_out_trade_no":  "invalid_out_trade_no",
	"err_gw_name":          "invalid_name",
	"err_gw_param":         "invalid_param",
	"err_gw_notify_url":    "invalid_notify_url",
	"err_gw_return_url":    "invalid_return_url",
	"err_gw_expire":        "invalid_expire_seconds",
	"err_gw_duplicate":     "duplicate_out_trade_no",
	"err_gw_order_missing": codeNotFound,
	"err_not_closable":     "not_closable",
	"err_close_too_soon":   "close_too_soon",
	"err_gw_failed":        "order_failed",
	// Refunds (SPEC §8).
	"err_refund_duplicate":   "duplicate_out_refund_no",
	"err_refund_amount":      "invalid_amount",
	"err_refund_not_paid":    "order_not_paid",
	"err_refund_too_many":    "too_many_refunds",
	"err_refund_reason":      "invalid_reason",
	"err_refund_refused":     "refund_refused",
	"err_refund_unavailable": "refunds_unavailable",
	// Every device (SPEC §9).
	"err_invalid_code":    codeInvalidCode,
	"err_missing_openid":  "missing_openid",
	"err_trade_type":      "invalid_trade_type",
	"err_way_off":         codeNotConfigured,
	"err_too_many_ways":   "too_many_attempts",
	"err_order_expiring":  "order_expiring",
	"err_not_payable_now": "order_not_payable",
}

var apiCodeOfKind = map[checkout.Kind]string{
	checkout.KindInternal:     codeInternal,
	checkout.KindInvalid:      codeInvalidRequest,
	checkout.KindNotFound:     codeNotFound,
	checkout.KindConflict:     codeConflict,
	checkout.KindUpstream:     codeUpstream,
	checkout.KindRefused:      codeInvalidRequest,
	checkout.KindLimited:      codeRateLimited,
	checkout.KindUnauthorized: codeUnauthorized,
}

// apiMessageKey replaces a checkout message whose words are epay's with
// the API's: the API has an amount in fen, not money in yuan.
var apiMessageKey = map[string]string{"err_gw_money": "err_api_amount", "err_trade_type": "err_api_trade_type"}

// apiError is a refusal of the API's own, before the checkout is asked; or,
// with cause set, a checkout error shown under another status and code.
type apiError struct {
	status int
	code   string
	key    string
	args   []any
	cause  error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.cause.Error()
	}
	return e.code + ": " + e.key
}

func (e *apiError) Unwrap() error { return e.cause }

type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// apiFail answers err as {"error":{"code","message"}} and stops the
// request. The message never carries an internal cause; the log does.
func (h *Handler) apiFail(c *gin.Context, err error) {
	var body apiErrorBody
	var status int
	lang := apiLanguage(c)
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		status, body.Error.Code = ae.status, ae.code
		if ae.key != "" {
			body.Error.Message = lang.Tf(ae.key, ae.args...)
		} else {
			body.Error.Message = apiMessage(lang, ae.cause)
		}
	default:
		status, body.Error.Code = httpStatus(err), apiCode(err)
		body.Error.Message = apiMessage(lang, err)
	}
	if status == http.StatusInternalServerError {
		h.log.Error("api request failed", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey), "path", c.FullPath())
	} else {
		h.log.Info("api request refused", "err", checkout.LogText(err), "status", status, "request_id", c.GetString(requestIDKey))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Basic realm="wxcheckout"`)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, body)
}

func apiCode(err error) string {
	key, _ := checkout.MessageOf(err)
	if code, ok := apiCodeOfKey[key]; ok && checkout.KindOf(err) != checkout.KindInternal {
		return code
	}
	return apiCodeOfKind[checkout.KindOf(err)]
}

func apiMessage(l Lang, err error) string {
	key, args := checkout.MessageOf(err)
	if k, ok := apiMessageKey[key]; ok {
		key = k
	}
	return l.Tf(key, args...)
}

// apiLanguage is English, which API clients expect, unless the request's
// Accept-Language puts Chinese before English. No ?lang= and no cookie:
// a program's requests carry neither.
func apiLanguage(c *gin.Context) Lang {
	for part := range strings.SplitSeq(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return LangZH
		case strings.HasPrefix(tag, "en"):
			return LangEN
		}
	}
	return LangEN
}
