package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

const csvBenchOrders = 100_000

// BenchmarkCSVExport downloads /admin/orders.csv of csvBenchOrders orders
// through the real server (SQLite in a temp dir), and reads them with
// EachOrder alone; ns/op is one whole export. Seeding runs once (each run
// of the benchmark seeds its own database: about 2 minutes).
//
//	go test -run '^$' -bench CSVExport -benchmem -benchtime 2x ./handlers/
func BenchmarkCSVExport(b *testing.B) {
	const n = csvBenchOrders
	r := testrig.New(b, testrig.Options{})
	seedExportOrders(b, r, n)
	browser := *r.AdminBrowser(b)
	browser.Timeout = 0 // a loaded machine may take longer than the rig's 10 s
	// All the orders, and the newest 18 of the 90 days (a fifth of them):
	// allocations per row that do not change with the rows are flat memory.
	for _, ex := range []struct {
		query string
		rows  int
	}{{"", n}, {"?from=2026-11-05&to=2026-11-22", 0}} {
		b.Run(fmt.Sprintf("http/orders=%d%s", n, ex.query), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			var rows int
			for b.Loop() {
				resp, err := browser.Get(r.App.URL + "/admin/orders.csv" + ex.query)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%d, %v", resp.StatusCode, err)
				}
				size, rows = int64(len(body)), bytes.Count(body, []byte("\n"))-2
				if ex.rows != 0 && rows != ex.rows {
					b.Fatalf("%d rows, want %d", rows, ex.rows)
				}
				if !bytes.Contains(body[len(body)-80:], []byte("export complete")) {
					b.Fatal("no complete trailer")
				}
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(size)/float64(rows), "B/row")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed())/float64(rows*b.N), "ns/row")
		})
	}
	b.Run(fmt.Sprintf("EachOrder/orders=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got := 0
			err := r.Store.EachOrder(context.Background(), models.OrderFilter{}, func(*models.Order) error { got++; return nil })
			if err != nil || got != n {
				b.Fatalf("%d orders, %v", got, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// seedExportOrders creates n orders like a shop's: a two-line cart, a
// buyer, 60 % paid, over 90 days; concurrently, so that the store's group
// commit takes them in large transactions.
func seedExportOrders(b *testing.B, r *testrig.Rig, n int) {
	ctx := context.Background()
	p, err := r.Store.ProductBySKU(ctx, "COFFEE")
	if err != nil {
		b.Fatal(err)
	}
	newest := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	const workers = 128
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := r.Store.CreateOrder(ctx, benchOrder(i, n, p, newest), nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

func benchOrder(i, n int, p *models.Product, newest time.Time) *models.Order {
	created := newest.Add(-(90 * 24 * time.Hour / time.Duration(n)) * time.Duration(i))
	o := &models.Order{OutTradeNo: fmt.Sprintf("B%015d", i), Token: fmt.Sprintf("benchtoken%08d", i),
		ProductID: &p.ID, SKU: p.SKU, Body: p.Name, Quantity: 2, UnitPrice: p.Price, TotalFee: 2*p.Price + 1,
		Status: models.StatusClosed, Prepay: models.PrepayDone, TimeStart: created, ExpiresAt: created.Add(15 * time.Minute),
		NextQueryAt: created.Add(time.Hour), CreatedAt: created,
		Detail: `{"goods_detail":[{"goods_id":"COFFEE","goods_name":"咖啡豆","quantity":2,"price":5800},` +
			`{"goods_id":"PENNY","goods_name":"一分钱商品","quantity":1,"price":1}]}`,
		Buyer: models.Buyer{Name: "张三", Phone: "13800138000", Address: "浙江省杭州市西湖区龙井路 1 号", Note: "工作日送货"}}
	switch {
	case i%10 < 6:
		paid := created.Add(2 * time.Minute)
		o.Status, o.PaidAt, o.TransactionID = models.StatusPaid, &paid, fmt.Sprintf("4200000001%018d", i)
		o.Fulfilment = models.FulfilToShip
	case i%10 == 9:
		o.Status = models.StatusNotPay
	}
	return o
}
