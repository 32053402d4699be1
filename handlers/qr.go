package handlers

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"
)

// qrCache keeps rendered PNGs by code_url. A code_url never changes for an
// order, so its image is drawn once.
type qrCache struct {
	mu  sync.Mutex
	max int
	m   map[string][]byte
}

func newQRCache(max int) *qrCache { return &qrCache{max: max, m: make(map[string][]byte)} }

func (q *qrCache) png(codeURL string) ([]byte, error) {
	q.mu.Lock()
	b, ok := q.m[codeURL]
	q.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := qrcode.Encode(codeURL, qrcode.Medium, 256)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	if len(q.m) >= q.max {
		for k := range q.m { // evict an arbitrary entry; any miss just redraws
			delete(q.m, k)
			break
		}
	}
	q.m[codeURL] = b
	q.mu.Unlock()
	return b, nil
}

// qrImage draws the order's code_url as a PNG.
func (h *Handler) qrImage(c *gin.Context) {
	o, err := h.svc.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		c.Status(httpStatus(err))
		return
	}
	if o.CodeURL == "" {
		c.Status(http.StatusNotFound)
		return
	}
	b, err := h.qr.png(o.CodeURL)
	if err != nil {
		h.log.Error("draw QR", "out_trade_no", o.OutTradeNo, "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Header("Cache-Control", "private, max-age=7200, immutable")
	c.Data(http.StatusOK, "image/png", b)
}
