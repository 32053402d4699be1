package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const requestIDKey = "request_id"

// requestID tags every request so that log lines and error pages match up.
func (h *Handler) requestID(c *gin.Context) {
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// logRequests writes one line per request: never bodies, queries or cookies,
// which may carry tokens.
func (h *Handler) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	h.log.Info("request", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration", time.Since(start), "request_id", c.GetString(requestIDKey))
}

// maxBody caps every request body: the largest legitimate ones are small
// forms and WeChat's notifications (which have their own 64 KiB cap).
// The admin's forms with a picture get maxUploadBody (images.go).
const maxBody = 1 << 20

// limitBody makes an oversized body fail to read instead of filling memory.
func (h *Handler) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimit(c))
	}
	c.Next()
}

func (h *Handler) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			h.log.Error("panic", "panic", r, "request_id", c.GetString(requestIDKey), "route", c.FullPath())
			if !c.Writer.Written() {
				c.String(http.StatusInternalServerError, "internal error")
			}
			c.Abort()
		}
	}()
	c.Next()
}

// securityHeaders: no inline script anywhere, no framing, no token in a
// Referer. The simulator's phone page is a development tool with its own
// look and is left alone.
func (h *Handler) securityHeaders(c *gin.Context) {
	if !strings.HasPrefix(c.Request.URL.Path, "/sim/") {
		hd := c.Writer.Header()
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
	}
	c.Next()
}

// contentSecurityPolicy is every page's policy; formTargets are further
// origins forms may lead to (the H5 cashier's, reached by a redirect).
func contentSecurityPolicy(formTargets []string) string {
	fa := "'self'"
	for _, t := range formTargets {
		fa += " " + t
	}
	return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"connect-src 'self'; form-action " + fa + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}
