package handlers

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"wxcheckout/checkout"
	"wxcheckout/wxpay"
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
	codeURL := o.CodeURL
	if codeURL == "" && o.TradeType != wxpay.TradeNative && h.opt.Devices != nil && o.Status.Open() {
		// An APP or JSAPI order shown on a PC: its Native WeChat order.
		if x, err := h.opt.Devices.PayWith(c.Request.Context(), o, checkout.Way{TradeType: wxpay.TradeNative}); err == nil {
			codeURL = x.PayURL
		}
	}
	if codeURL == "" {
		c.Status(http.StatusNotFound)
		return
	}
	b, err := h.qr.png(codeURL)
	if err != nil {
		h.log.Error("draw QR", "out_trade_no", o.OutTradeNo, "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Header("Cache-Control", "private, max-age=7200, immutable")
	c.Data(http.StatusOK, "image/png", b)
}
