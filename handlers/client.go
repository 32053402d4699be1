package handlers

import (
	"net/netip"

	"github.com/gin-gonic/gin"
)

// clientKey turns a client IP into what every per-client limit counts. An
// IPv4 address is one client. An IPv6 client counts per /64: a host is
// usually given a whole /64 and may pick any address in it, so counting
// single addresses would let it take any limit 2^64 times over.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip // not an address (gin found none): count the text itself
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// client is the request's client IP, as the TCP peer or a trusted proxy
// names it, and its limit key.
func (h *Handler) client(c *gin.Context) (ip, key string) {
	ip = c.ClientIP()
	return ip, clientKey(ip)
}
