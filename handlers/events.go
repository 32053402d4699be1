package handlers

import (
	"bytes"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
)

// heartbeat keeps proxies from closing an idle stream and lets the server
// notice a vanished client.
const heartbeat = 15 * time.Second

// events pushes the order's status to its payment page as Server-Sent
// Events: the current status at once, then every change, then the stream
// ends at a final status, at expiry, or after MaxStreamDuration (the
// browser then reconnects by itself). On HTTP/1.1 the connection is
// hijacked (events_conn.go); otherwise one goroutine per open page — the
// request's own — sleeps on a channel. Nothing polls.
func (h *Handler) events(c *gin.Context) {
	ctx, token := c.Request.Context(), c.Param("token")
	st, err := h.svc.StatusByToken(ctx, token)
	if err != nil {
		h.statusError(c, err)
		return
	}
	_, key := h.client(c)
	if !h.streams.acquire(key) {
		c.JSON(http.StatusTooManyRequests, gin.H{"error": "too many open streams; poll /status instead"})
		return
	}
	if w, ok := h.svc.(funcWatcher); ok && h.hijackStream(c, w, st, key) {
		return
	}
	defer h.streams.release(key)
	// Subscribe before reading the status, so a change between the two is
	// not lost: it is either in the read or in the channel.
	changes, cancel := h.svc.Watch(st.OutTradeNo)
	defer cancel()
	if st, err = h.svc.StatusByToken(ctx, token); err != nil {
		h.statusError(c, err)
		return
	}
	rc := startStream(c)
	if !h.sendStatus(c, rc, st) {
		return
	}
	expiry := time.NewTimer(st.ExpiresAt.Sub(h.opt.Now()) + time.Second)
	defer expiry.Stop()
	end := time.NewTimer(h.opt.MaxStreamDuration) // the page reconnects
	defer end.Stop()
	ping := time.NewTicker(heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.done:
			return
		case <-end.C:
			return
		case <-ping.C:
			if _, err := c.Writer.WriteString(": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-changes:
		case <-expiry.C:
		}
		if st, err = h.svc.StatusByToken(ctx, token); err != nil || !h.sendStatus(c, rc, st) {
			return
		}
	}
}

// startStream answers with an event stream that outlives the server's write
// timeout; the stream ends by itself.
func startStream(c *gin.Context) *http.ResponseController {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetWriteDeadline(time.Time{})
	hd := c.Writer.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	return rc
}

// sendStatus writes one status event and reports whether to keep streaming:
// not after a final status, an expired QR or a failed write.
func (h *Handler) sendStatus(c *gin.Context, rc *http.ResponseController, st checkout.OrderStatus) bool {
	var b bytes.Buffer
	keep := h.appendStatusEvent(&b, st)
	if _, err := c.Writer.Write(b.Bytes()); err != nil || rc.Flush() != nil {
		return false
	}
	return keep
}
