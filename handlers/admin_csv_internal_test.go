package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// exportOnly is an AdminService whose EachOrder hands out n made-up orders,
// pausing after every csvBatch of them, and then fails with err (if any).
type exportOnly struct {
	AdminService
	n     int
	pause time.Duration
	err   error
}

func (e exportOnly) EachOrder(ctx context.Context, _ models.OrderFilter, fn func(*models.Order) error) error {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range e.n {
		if i > 0 && i%csvBatch == 0 && e.pause > 0 {
			time.Sleep(e.pause)
		}
		o := models.Order{ID: uint(e.n - i), OutTradeNo: fmt.Sprintf("T%06d", i), CreatedAt: at, ExpiresAt: at,
			Status: models.StatusClosed, SKU: "COFFEE", Body: "咖啡豆", Quantity: 1, TotalFee: 5800}
		if err := fn(&o); err != nil {
			return err
		}
	}
	return e.err
}

// getCSV downloads the export without the admin's session check: the test
// calls the handler's route through a tiny mux.
func getCSV(t *testing.T, svc AdminService, writeTimeout time.Duration) (string, error) {
	t.Helper()
	h, err := New(nil, Options{Admin: svc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	eng := gin.New()
	eng.GET("/orders.csv", h.requestID, h.adminCSV)
	srv := httptest.NewUnstartedServer(eng)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/orders.csv?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestAdminCSVSaysWhenIncomplete(t *testing.T) {
	body, err := getCSV(t, exportOnly{n: 2500, err: errors.New("database is locked")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := lastLine(body)
	if !strings.HasPrefix(last, "# 导出未完成：2500 行后中断") || !strings.Contains(last, "EXPORT INCOMPLETE: stopped after 2500 rows") {
		t.Errorf("last line %q, want the incomplete marker after 2500 rows", last)
	}
	if strings.Contains(body, "complete\n") || strings.Contains(body, "database is locked") {
		t.Error("an incomplete file claims completeness or shows the internal error")
	}
	rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, utf8BOM)))
	rd.Comment = '#'
	if recs, err := rd.ReadAll(); err != nil || len(recs) != 2501 {
		t.Errorf("%d records, %v; want header + 2500, the marker skipped as a comment", len(recs), err)
	}
}

func TestAdminCSVCompleteTrailer(t *testing.T) {
	body, err := getCSV(t, exportOnly{n: 2001}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := lastLine(body); last != "# 共 2001 行，导出完整 / 2001 rows; export complete" {
		t.Errorf("last line %q", last)
	}
	if n := strings.Count(body, "\n"); n != 2003 {
		t.Errorf("%d lines, want header + 2001 + trailer", n)
	}
}

// The server's WriteTimeout counts from the request; an export that keeps
// making progress outlives it.
func TestAdminCSVOutlivesWriteTimeout(t *testing.T) {
	body, err := getCSV(t, exportOnly{n: 4 * csvBatch, pause: 150 * time.Millisecond}, 200*time.Millisecond)
	if err != nil {
		t.Fatalf("download cut: %v after %d bytes", err, len(body))
	}
	if last := lastLine(body); last != "# 共 4000 行，导出完整 / 4000 rows; export complete" {
		t.Errorf("last line %q", last)
	}
}
