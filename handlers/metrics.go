package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/metrics"
)

// Refusals of GET /metrics, plain text for whoever set up the scraper.
const (
	metricsForbidden = "GET /metrics is served only to loopback clients, or to any client with Authorization: Bearer $METRICS_TOKEN\n"
	metricsBadToken  = "GET /metrics: the bearer token is not METRICS_TOKEN\n"
)

// metricsAccess lets in a scrape from loopback — the real TCP peer, and
// only when no proxy says it forwards someone else's request — or one with
// the right METRICS_TOKEN from anywhere. A wrong token is refused even from
// loopback. Behind a reverse proxy on the same host every request comes
// from loopback: the proxy's forwarding header marks it remote here, and
// the docs say not to proxy /metrics, or to set METRICS_TOKEN.
func (h *Handler) metricsAccess(c *gin.Context) {
	if auth := c.GetHeader("Authorization"); auth != "" && h.opt.MetricsToken != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !sameToken(token, h.opt.MetricsToken) {
			c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
			c.String(http.StatusUnauthorized, metricsBadToken)
			c.Abort()
			return
		}
		c.Next()
		return
	}
	if !h.localPeer(c.Request) {
		c.String(http.StatusForbidden, metricsForbidden)
		c.Abort()
		return
	}
	c.Next()
}

// localPeer reports whether the request's TCP peer is loopback and it
// carries no forwarding header: a local proxy's requests are remote ones.
func (h *Handler) localPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, k := range []string{h.opt.ClientIPHeader, "X-Forwarded-For", "X-Real-IP", "Forwarded"} {
		if r.Header.Get(k) != "" {
			return false
		}
	}
	return true
}

// sameToken compares in constant time (of the hashes: the lengths leak
// nothing either).
func sameToken(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// countNotification counts a notification at endpoint by what handling it
// gave: acknowledged, refused (with its code) or our own failure.
func (h *Handler) countNotification(endpoint string, err error) {
	switch {
	case err == nil:
		h.opt.Metrics.Notification(endpoint, metrics.Processed, "")
	case checkout.KindOf(err) == checkout.KindRefused:
		h.opt.Metrics.Notification(endpoint, metrics.Refused, string(checkout.RefusalOf(err)))
	default:
		h.opt.Metrics.Notification(endpoint, metrics.Failed, "")
	}
}
