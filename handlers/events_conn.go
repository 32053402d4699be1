package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// An open payment page used to hold a goroutine deep in gin's chain,
// net/http's 4 KiB reader and writer, a response writer, a channel and
// three timers: ~38 KB. Here the handler takes the connection from
// net/http once the stream's headers are written (HTTP/1.1 only; HTTP/2
// streams and test recorders keep the per-request path in events.go) and
// leaves behind a small record: the connection, a watch callback on the
// broker, three timers that run only when they fire, and one goroutine
// parked in a 1-byte read so that a closed page frees its slot at once.

// funcWatcher is the business's goroutine-free watch (checkout.Service).
type funcWatcher interface {
	WatchFunc(outTradeNo string, fn func(models.OrderStatus)) (cancel func())
}

// streamWriteTimeout bounds one write to a page; a page that takes longer
// to accept a few hundred bytes is gone.
const streamWriteTimeout = 10 * time.Second

// openStreams are the hijacked streams, which http.Server.Shutdown no
// longer sees: Handler.Close ends them.
type openStreams struct {
	mu     sync.Mutex
	closed bool
	m      map[*connStream]struct{}
}

func (o *openStreams) add(s *connStream) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	if o.m == nil {
		o.m = make(map[*connStream]struct{})
	}
	o.m[s] = struct{}{}
	return true
}

func (o *openStreams) remove(s *connStream) {
	o.mu.Lock()
	delete(o.m, s)
	o.mu.Unlock()
}

// closeAll ends every stream and refuses new ones.
func (o *openStreams) closeAll() {
	o.mu.Lock()
	o.closed = true
	all := make([]*connStream, 0, len(o.m))
	for s := range o.m {
		all = append(all, s)
	}
	o.mu.Unlock()
	for _, s := range all {
		s.close()
	}
}

// connStream is one open payment page on a connection of its own.
type connStream struct {
	h                 *Handler
	token, key        string
	mu                sync.Mutex // serializes writes and the end
	conn              net.Conn
	done              bool
	cancel            func() // the watch
	ping, end, expiry *time.Timer
}

// hijackStream serves the stream on a hijacked connection and reports
// whether it did so (and then owns the stream slot of key). When it
// reports false nothing was written and the caller streams as before.
func (h *Handler) hijackStream(c *gin.Context, w funcWatcher, st checkout.OrderStatus, key string) bool {
	if c.Request.ProtoMajor != 1 {
		return false
	}
	s := &connStream{h: h, token: c.Param("token"), key: key}
	s.mu.Lock() // callbacks wait until the stream is set up
	defer s.mu.Unlock()
	// Subscribe before reading the status, so a change between the two is
	// not lost: it is either in the read or refreshes the page afterwards.
	s.cancel = w.WatchFunc(st.OutTradeNo, func(models.OrderStatus) { go s.refresh() })
	st, err := h.svc.StatusByToken(c.Request.Context(), s.token)
	if err != nil {
		s.done = true // a callback already started finds nothing to do
		s.cancel()
		h.streams.release(key)
		h.statusError(c, err)
		return true
	}
	conn, _, err := http.NewResponseController(c.Writer).Hijack()
	if err != nil {
		s.done = true
		s.cancel()
		return false
	}
	s.conn = conn
	_ = conn.SetDeadline(time.Time{}) // the server's timeouts were the request's
	hd := c.Writer.Header()           // with the middleware's headers
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	hd.Set("Connection", "close")     // the body ends with the connection
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	_ = hd.Write(&b)
	b.WriteString("\r\n")
	keep := h.appendStatusEvent(&b, st)
	if !h.open.add(s) { // shutting down
		s.closeLocked(false)
		return true
	}
	if !s.write(b.Bytes()) || !keep {
		s.closeLocked(true)
		return true
	}
	s.end = time.AfterFunc(h.opt.MaxStreamDuration, s.close) // the page reconnects
	s.expiry = time.AfterFunc(st.ExpiresAt.Sub(h.opt.Now())+time.Second, s.refresh)
	s.ping = time.AfterFunc(heartbeat, s.heartbeat)
	go s.watchClose()
	return true
}

// appendStatusEvent appends one status event and reports whether to keep
// streaming: not after a final status or an expired QR.
func (h *Handler) appendStatusEvent(b *bytes.Buffer, st checkout.OrderStatus) bool {
	body := h.statusOf(st)
	b.WriteString("event: status\ndata: ")
	b.Write(body.appendJSON(make([]byte, 0, 160)))
	b.WriteString("\n\n")
	return st.Status == models.StatusNotPay && !body.Expired
}

// write sends p within streamWriteTimeout; the caller holds s.mu.
func (s *connStream) write(p []byte) bool {
	_ = s.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := s.conn.Write(p)
	return err == nil
}

// refresh sends the order's current status after a change or at expiry.
func (s *connStream) refresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), streamWriteTimeout)
	defer cancel()
	st, err := s.h.svc.StatusByToken(ctx, s.token)
	if err != nil {
		s.closeLocked(true)
		return
	}
	var b bytes.Buffer
	if keep := s.h.appendStatusEvent(&b, st); !s.write(b.Bytes()) || !keep {
		s.closeLocked(true)
	}
}

var pingEvent = []byte(": ping\n\n")

func (s *connStream) heartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	if !s.write(pingEvent) {
		s.closeLocked(true)
		return
	}
	s.ping.Reset(heartbeat)
}

// watchClose notices a page that went away: a browser sends nothing more
// on an event stream, so the read returns only when the connection ends.
func (s *connStream) watchClose() {
	var b [1]byte
	for {
		if _, err := s.conn.Read(b[:]); err != nil {
			s.close()
			return
		}
	}
}

func (s *connStream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(true)
}

// closeLocked ends the stream once: the watch, the timers, the connection
// and the stream's slot; registered tells whether it is in h.open.
func (s *connStream) closeLocked(registered bool) {
	if s.done {
		return
	}
	s.done = true
	s.cancel()
	for _, t := range []*time.Timer{s.ping, s.end, s.expiry} {
		if t != nil {
			t.Stop()
		}
	}
	_ = s.conn.Close()
	if registered {
		s.h.open.remove(s)
	}
	s.h.streams.release(s.key)
}

// appendJSON is encoding/json's output for the status, without reflection:
// the payment page polls it every second.
func (s statusJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"status":`...)
	b = appendJSONString(b, s.Status)
	b = append(b, `,"out_trade_no":`...)
	b = appendJSONString(b, s.OutTradeNo)
	b = append(b, `,"total_fee":`...)
	b = strconv.AppendInt(b, s.TotalFee, 10)
	b = append(b, `,"refunded_fee":`...)
	b = strconv.AppendInt(b, s.RefundedFee, 10)
	b = append(b, `,"expired":`...)
	b = strconv.AppendBool(b, s.Expired)
	b = append(b, `,"expires_at":`...)
	b = strconv.AppendInt(b, s.ExpiresAt, 10)
	return append(b, '}')
}

// appendJSONString quotes plain ASCII itself and leaves anything else
// (escapes, HTML-safe forms, invalid UTF-8) to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
