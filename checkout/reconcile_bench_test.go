package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// tallyWeChat counts orderquery calls.
type tallyWeChat struct {
	*wxpay.Client
	n atomic.Int64
}

func (c *tallyWeChat) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	c.n.Add(1)
	return c.Client.OrderQuery(ctx, no)
}

// seedUnpaid places n unpaid orders at the simulator and stores them, all
// due now, 32 at a time.
func seedUnpaid(b *testing.B, r *testrig.Rig, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				no := fmt.Sprintf("BENCH%08d", i)
				_, err := r.WeChat.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "bench", OutTradeNo: no, TotalFee: 1,
					SpbillCreateIP: "127.0.0.1", NotifyURL: r.App.URL + "/wxpay/notify", ProductID: "bench"})
				if err == nil {
					err = r.Store.CreateOrder(ctx, &models.Order{OutTradeNo: no, Token: "benchtoken" + no, SKU: "bench", Body: "bench",
						Quantity: 1, UnitPrice: 1, TotalFee: 1, Status: models.StatusNotPay, Prepay: models.PrepayDone,
						TimeStart: now, ExpiresAt: now.Add(time.Hour), NextQueryAt: now, CreatedAt: now}, nil)
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// pooledClient is a client of the rig's simulator that keeps a connection
// per reconciler worker (the rig's keeps the default two).
func pooledClient(b *testing.B, r *testrig.Rig) *wxpay.Client {
	cert, err := wxpay.SelfSignedClientCert(wxpaysim.DemoMchID)
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: r.SimURL, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		APIKey: wxpaysim.DemoAPIKey, SignType: wxpay.SignHMACSHA256, ClientCert: cert,
		HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkReconcilerQueries: one pass of the reconciler over n unpaid
// orders that are all due, against the in-process simulator on the wall
// clock; reports orderquery calls per second, the seconds until every order
// was asked, and the process's CPU per query (reconciler, store and the
// simulator together: what bounds the rate on a machine of 2 cores when
// other work shares it). Run with -benchtime=1x. The rate=500 cases are
// the default ceiling (WXPAY_QUERY_RATE): 20,000 due orders take 40 s.
func BenchmarkReconcilerQueries(b *testing.B) {
	for _, tc := range []struct{ unpaid, rate int }{{2000, 1_000_000}, {20000, 1_000_000},
		{2000, checkout.DefaultQueryRate}, {20000, checkout.DefaultQueryRate}} {
		b.Run(fmt.Sprintf("unpaid=%d/rate=%d", tc.unpaid, tc.rate), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				r := testrig.New(b, testrig.Options{RealClock: true})
				wx := &tallyWeChat{Client: pooledClient(b, r)}
				svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: wx,
					Settings: checkout.Settings{OrderTTL: time.Hour, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1"}})
				seedUnpaid(b, r, tc.unpaid, time.Now())
				b.StartTimer()
				ctx, cancel := context.WithCancel(context.Background())
				start, cpu0 := time.Now(), processCPU()
				done := make(chan struct{})
				go func() { defer close(done); svc.RunReconciler(ctx, checkout.ReconcilerOptions{Rate: tc.rate}) }()
				for wx.n.Load() < int64(tc.unpaid) {
					time.Sleep(time.Millisecond)
				}
				elapsed, cpu := time.Since(start), processCPU()-cpu0
				cancel()
				<-done
				b.ReportMetric(float64(tc.unpaid)/elapsed.Seconds(), "queries/s")
				b.ReportMetric(elapsed.Seconds(), "s-all-queried")
				b.ReportMetric(float64(cpu.Microseconds())/float64(tc.unpaid), "cpu-µs/query")
			}
		})
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
