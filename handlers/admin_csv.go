package handlers

import (
	"bufio"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// utf8BOM makes Excel read the file as UTF-8, so Chinese names show.
const utf8BOM = "\uFEFF"

// csvColumns are the export's columns, as i18n keys: the header is in the
// admin's language (the page's: ?lang=, cookie, Accept-Language).
var csvColumns = []string{"adm_csv_out_trade_no", "adm_csv_created", "adm_csv_status", "adm_csv_status_code", "adm_csv_expired",
	"adm_csv_sku", "adm_csv_product", "adm_csv_items", "adm_csv_qty", "adm_csv_amount_yuan", "adm_csv_amount_fen",
	"adm_csv_transaction_id", "adm_csv_paid_at", "adm_csv_flags", "adm_csv_refunded_yuan", "adm_csv_refunded_fen",
	"adm_csv_buyer_name", "adm_csv_buyer_phone", "adm_csv_buyer_address", "adm_csv_buyer_note",
	"adm_csv_fulfilment", "adm_csv_tracking_no"}

// adminCSV streams every order the filter selects (not just one page).
// A bad filter is a 400 with the reasons as plain text. Once the first row
// is out the status (200) is sent, so the file itself says how it ended:
// its last line is csvComplete's, or csvIncomplete's when the export failed
// midway (a database error, the server shutting down), and a file cut off
// with neither (the client stalled or went away) is incomplete too.
func (h *Handler) adminCSV(c *gin.Context) {
	l := h.language(c)
	_, f, bad := parseOrderQuery(c)
	if bad != nil {
		c.Header("Cache-Control", "no-store")
		c.String(http.StatusBadRequest, bad.text(l))
		return
	}
	name := "orders-" + h.opt.Now().In(wxpay.Beijing()).Format("20060102-150405") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	e := newCSVExport(c.Writer, h.opt.Now(), l)
	header := make([]string, len(csvColumns))
	for i, k := range csvColumns {
		header[i] = l.T(k)
	}
	err := e.start(header)
	if err == nil {
		err = h.opt.Admin.EachOrder(c.Request.Context(), f, e.row)
	}
	if err == nil {
		err = e.finish()
	}
	if err != nil {
		id := c.GetString(requestIDKey)
		h.log.Error("csv export", "err", err, "rows", e.rows, "request_id", id)
		e.fail(id) // best effort: the connection may be what failed
	}
}

// csvBatch is how many rows go out per flush to the client.
const csvBatch = 1000

// csvWriteWindow is how long the client gets to take what is written. The
// server's WriteTimeout (30 s) counts from the request, which would cut a
// large file however fast the client reads; instead the deadline rolls
// forward while the export makes progress, so only a client that stops
// reading for this long is dropped.
var csvWriteWindow = 30 * time.Second

// csvExport writes the file: each row appended to one reused line buffer
// (appendCSVRow), through a buffer flushed to the client every csvBatch
// rows.
type csvExport struct {
	rc       *http.ResponseController
	buf      *bufio.Writer
	line     []byte
	scratch  []byte
	now      time.Time
	l        Lang
	rows     int
	extended time.Time
}

func newCSVExport(w http.ResponseWriter, now time.Time, l Lang) *csvExport {
	return &csvExport{rc: http.NewResponseController(w), buf: bufio.NewWriterSize(w, 256<<10),
		line: make([]byte, 0, 1024), scratch: make([]byte, 0, 256), now: now, l: l}
}

// extend moves the write deadline csvWriteWindow ahead, at most once a
// second. A writer that cannot (httptest's recorder) has no deadline.
func (e *csvExport) extend() {
	if now := time.Now(); now.Sub(e.extended) >= time.Second {
		_ = e.rc.SetWriteDeadline(now.Add(csvWriteWindow))
		e.extended = now
	}
}

func (e *csvExport) start(header []string) error {
	e.extend()
	if _, err := e.buf.WriteString(utf8BOM); err != nil {
		return err
	}
	_, err := e.buf.Write(appendCSVRecord(e.line[:0], header))
	return err
}

func (e *csvExport) row(o *models.Order) error {
	e.extend()
	e.line, e.scratch = appendCSVRow(e.line[:0], e.scratch, o, e.now, e.l)
	if _, err := e.buf.Write(e.line); err != nil {
		return err
	}
	e.rows++
	if e.rows%csvBatch == 0 {
		return e.flush()
	}
	return nil
}

func (e *csvExport) flush() error {
	if err := e.buf.Flush(); err != nil {
		return err
	}
	return e.rc.Flush()
}

// The last line of the file, in both languages whatever the header's, so
// that a script can check it; no ASCII comma or quote, so a CSV reader sees
// one cell (and skips it as a comment when told lines starting with # are).
const (
	csvComplete   = "# 共 %d 行，导出完整 / %d rows; export complete\n"
	csvIncomplete = "# 导出未完成：%d 行后中断，请重新导出（请求 %s）/ EXPORT INCOMPLETE: stopped after %d rows (request %s); export again\n"
)

func (e *csvExport) finish() error {
	if err := e.flush(); err != nil {
		return err
	}
	e.extend()
	fmt.Fprintf(e.buf, csvComplete, e.rows, e.rows)
	if err := e.buf.Flush(); err != nil {
		return err
	}
	return e.rc.Flush()
}

// fail ends a file whose export failed with the incomplete marker.
func (e *csvExport) fail(requestID string) {
	e.extend()
	fmt.Fprintf(e.buf, csvIncomplete, e.rows, requestID, e.rows, requestID)
	if e.buf.Flush() == nil {
		_ = e.rc.Flush()
	}
}
