package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/config"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// startApp starts the shop exactly as `go run .` does, on a free port with a
// fresh database and the built-in simulator; env adds or overrides variables.
// It is stopped, and must stop cleanly, when the test ends.
func startApp(t testing.TB, env map[string]string) *app {
	t.Helper()
	a, stop := launchApp(t, env)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("app shutdown: %v", err)
		}
	})
	return a
}

// launchApp is startApp with the stop in the caller's hands.
func launchApp(t testing.TB, env map[string]string) (*app, func() error) {
	t.Helper()
	var logOut io.Writer = io.Discard
	if os.Getenv("E2E_LOG") != "" {
		logOut = os.Stderr
	}
	return launchAppLogging(t, env, logOut)
}

// launchAppLogging is launchApp writing the app's log to logOut.
func launchAppLogging(t testing.TB, env map[string]string, logOut io.Writer) (*app, func() error) {
	t.Helper()
	vars := map[string]string{"ADDR": "127.0.0.1:0", "DATABASE_URL": testrig.DatabaseURL(t)}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, newLogger(logOut, cfg.Log))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	var once sync.Once
	var stopErr error
	return a, func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
}

// chromium finds the browser. A missing browser fails the test: the browser
// tests are part of the suite, and `make test` installs Debian's chromium.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: run `make test-deps` (apt-get install chromium) or set CHROMIUM")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns a tab.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	return newBrowserWith(t)
}

// newBrowserWith is newBrowser with further options (a User-Agent, say).
func newBrowserWith(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// TestBrowserPurchase buys a product in real Chromium: shop → QR (decoded
// from what the browser shows) → pay on the simulator's phone page in a
// second tab → the first tab turns into the receipt without reloading.
func TestBrowserPurchase(t *testing.T) {
	a := startApp(t, nil)
	tab := newBrowser(t)
	buyButton := `li[data-sku="COFFEE-250"] button.buy-now`
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/?lang=zh"),
		chromedp.WaitVisible(buyButton),
		chromedp.Click(buyButton),
		chromedp.WaitVisible(`#qr`),
	))
	payURL := browse(t, tab, chromedp.Location())
	browse(t, tab, chromedp.Evaluate[bool](`window.__sameDocument = true`))
	qrShot := browse(t, tab, chromedp.Screenshot(`#qr`))
	token := payURL[strings.LastIndex(payURL, "/")+1:]
	o, err := a.svc.OrderByToken(context.Background(), token)
	if err != nil {
		t.Fatalf("order for %s: %v", payURL, err)
	}
	if got := testrig.DecodeQR(t, qrShot); got != o.CodeURL {
		t.Fatalf("the QR shown says %q, want the order's code_url %q", got, o.CodeURL)
	}

	scan := browse(t, tab, chromedp.AttributeValue(`#simulate-scan`, "href"))
	phone, cancel := chromedp.NewContext(tab) // a second tab plays the shopper's phone
	defer cancel()
	must(t, chromedp.Do(phone,
		chromedp.Navigate(a.URL()+scan.Value),
		chromedp.WaitVisible(`button[value=pay]`),
		chromedp.Click(`button[value=pay]`),
		chromedp.WaitVisible(`#result[data-result="paid"]`),
	))
	if paidText := browse(t, phone, chromedp.Text(`#result`)); !strings.Contains(paidText, "支付成功") {
		t.Errorf("phone page after paying says %q", paidText)
	}

	must(t, chromedp.Do(tab, chromedp.WaitVisible(`#status[data-status="PAID"]`)))
	if !browse(t, tab, chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the payment page reloaded; it should turn into the receipt by itself")
	}
	if polls := browse(t, tab, chromedp.Evaluate[int](statusPolls)); polls != 0 {
		t.Errorf("the page polled /status %d times; the status stream should have told it", polls)
	}
	receipt := browse(t, tab, chromedp.Text(`#app`))
	paid, _ := a.svc.OrderByToken(context.Background(), token)
	if paid.Status != models.StatusPaid || !strings.Contains(receipt, paid.TransactionID) || !strings.Contains(receipt, "58.00") {
		t.Errorf("order %s, receipt %q: want PAID showing transaction %s and ¥58.00", paid.Status, receipt, paid.TransactionID)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browse runs one browser action and returns its value, failing the test on error.
func browse[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
