package handlers

import (
	"net/http"
	"net/url"
	"strconv"

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
	// Heading says in plain words what happened; RetryURL is where the
	// retry button leads (this page again, or the cart or shop a failed
	// form came from) and RetryLabel what it says.
	Heading    string
	RetryURL   string
	RetryLabel string
}

// shopperText replaces messages that carry WeChat's developer text (its
// codes and descriptions, passed as the message's argument) with plain
// words on the shopper's pages; the log keeps the original.
var shopperText = map[string]string{
	"err_wechat_refused": "err_page_wechat_refused",
	"err_gw_failed":      "err_page_wechat_refused",
	"err_query_failed":   "err_page_wechat_refused",
}

// fail logs err with the request id and shows a page with only the text
// that is safe to show.
func (h *Handler) fail(c *gin.Context, err error) {
	status := httpStatus(err)
	msg := h.errorText(c, err)
	if status == http.StatusInternalServerError {
		h.log.Error("request failed", "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey), "path", c.FullPath())
	} else {
		h.log.Info("request refused", "err", checkout.LogText(err), "status", status, "request_id", c.GetString(requestIDKey))
	}
	h.render(c, status, "error", "error_title", h.errorPage(c, status, msg))
}

// errorText is the text of err for this page: on the shopper's pages
// never WeChat's developer text (shopperText); the admin reads it whole.
func (h *Handler) errorText(c *gin.Context, err error) string {
	l := h.language(c)
	if key, _ := checkout.MessageOf(err); shopperText[key] != "" {
		if _, admin := c.Get(adminKey); !admin {
			return l.T(shopperText[key])
		}
	}
	return l.Error(err)
}

// renderError shows an error page with a message key.
func (h *Handler) renderError(c *gin.Context, status int, key string) {
	h.render(c, status, "error", "error_title", h.errorPage(c, status, h.language(c).T(key)))
}

// errorPage words an error for the shopper and offers a way on: a GET page
// can be loaded again; a form's failure leads back to where the form was
// (the cart, the product, the payment page), never re-posting it.
func (h *Handler) errorPage(c *gin.Context, status int, msg string) errorPage {
	l := h.language(c)
	heading := "err_page_h_" + strconv.Itoa(status)
	if _, ok := texts[heading]; !ok {
		heading = "err_page_h_other"
	}
	p := errorPage{Message: msg, Status: status, Heading: l.T(heading)}
	r := c.Request
	switch {
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		// Loading a page that is not there again does not help.
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		p.RetryURL, p.RetryLabel = r.URL.RequestURI(), l.T("err_page_reload")
	default:
		p.RetryURL, p.RetryLabel = formPage(r.URL.Path), l.T("err_page_retry")
		if r.URL.Path == "/checkout" && c.PostForm("from") != "cart" {
			if skus := c.PostFormArray("sku"); len(skus) == 1 {
				p.RetryURL = "/#product-" + url.PathEscape(skus[0])
			}
		}
	}
	return p
}
