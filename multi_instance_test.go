package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"wxcheckout/internal/loadkit"
	"wxcheckout/internal/testrig"
)

// TestSeveralInstancesOnPostgreSQL is issue 11's proof: three app processes
// started at once on one PostgreSQL, behind a round-robin proxy that is
// also where the standalone simulator sends notifications. A payment page
// held by one instance turns PAID when the notification lands on another;
// with every notification dropped, the instances' shared reconciler finds
// each payment, and each order moves to PAID exactly once.
func TestSeveralInstancesOnPostgreSQL(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	m := newMultiRig(t, ctx, 3)

	t.Run("a page turns PAID whichever instance hears of the payment", func(t *testing.T) {
		for i := range 6 {
			buyer := loadkit.NewShopper(m.urls[i%3], nil, nil)
			buyer.IP = loadkit.ShopperIP(100 + i)
			token, err := buyer.Checkout(ctx, "PENNY", 1)
			if err != nil {
				t.Fatal(err)
			}
			scan, err := buyer.ScanURL(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			page := m.urls[(i+1)%3]         // the page is held by another instance than the checkout's…
			m.pin.Store(int64((i + 2) % 3)) // …and the notification lands on the third
			paid := make(chan error, 1)
			go func() { paid <- waitStreamPaid(ctx, page+"/pay/"+token+"/events") }()
			time.Sleep(100 * time.Millisecond) // the stream is open and subscribed
			start := time.Now()
			if err := buyer.Pay(ctx, scan); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-paid:
				if err != nil {
					t.Fatalf("order %d: the page on %s: %v", i, page, err)
				}
				t.Logf("order %d: the page on instance %d turned PAID %v after the payment", i, (i+1)%3, time.Since(start).Round(time.Millisecond))
			case <-time.After(10 * time.Second):
				t.Fatalf("order %d: the page on %s did not turn PAID", i, page)
			}
		}
	})

	m.pin.Store(-1) // round robin again
	t.Run("dropped notifications: each payment found once across the instances", func(t *testing.T) {
		m.simControl(t, `{"fault":"drop_all"}`)
		defer m.simControl(t, `{"fault":"clear"}`)
		var tokens []string
		for i := range 9 {
			buyer := loadkit.NewShopper(m.urls[i%3], nil, nil)
			buyer.IP = loadkit.ShopperIP(200 + i)
			token, err := buyer.Checkout(ctx, "PENNY", 1)
			if err == nil {
				var scan string
				if scan, err = buyer.ScanURL(ctx, token); err == nil {
					err = buyer.Pay(ctx, scan)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, token)
		}
		deadline := time.Now().Add(60 * time.Second) // SPEC §4: found within 60 s
		for _, token := range tokens {
			for {
				st, err := loadkit.NewShopper(m.proxy.URL, nil, nil).Status(ctx, token)
				if err == nil && st.Status == "PAID" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("order %s not PAID 60 s after payment (%+v, %v)", token, st, err)
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
		m.checkPaidOnce(t, tokens)
	})
}

type multiRig struct {
	t     *testing.T
	pin   atomic.Int64 // the instance the proxy sends everything to; -1: round robin
	procs []*loadkit.Proc
	dead  []atomic.Bool // killed: the proxy, like a load balancer's health check, skips it
	bin   string
	db    string
	sim   string
	proxy *httptest.Server
	urls  []string
}

func newMultiRig(t *testing.T, ctx context.Context, n int) *multiRig {
	m := &multiRig{t: t, bin: filepath.Join(t.TempDir(), "wxcheckout"), db: withPassword(t, testrig.DatabaseURL(t)),
		dead: make([]atomic.Bool, n)}
	var flags []string
	if raceBuild() {
		flags = append(flags, "-race")
	}
	if err := loadkit.Build(ctx, ".", m.bin, flags...); err != nil {
		t.Fatal(err)
	}
	sim, simURL, err := loadkit.StartSim(m.bin, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.sim = simURL
	t.Cleanup(func() { sim.Stop(10 * time.Second) })

	// The load balancer: round robin over the instances, once they are up.
	var next atomic.Uint64
	m.pin.Store(-1)
	var mu sync.Mutex
	m.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls := m.urls
		mu.Unlock()
		if len(urls) == 0 {
			http.Error(w, "no instance yet", http.StatusBadGateway)
			return
		}
		i := int(next.Add(1) % uint64(len(urls)))
		for k := 0; k < len(urls) && m.dead[i].Load(); k++ {
			i = (i + 1) % len(urls)
		}
		if p := m.pin.Load(); p >= 0 {
			i = int(p)
		}
		u, _ := url.Parse(urls[i])
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	t.Cleanup(m.proxy.Close)

	env := []string{"ADDR=127.0.0.1:0", "DATABASE_URL=" + m.db, "WXPAY_API_BASE=" + simURL, "PUBLIC_URL=" + m.proxy.URL,
		"ADMIN_PASSWORD=multi-instance-admin-password", "CHECKOUT_RATE_PER_CLIENT=1000000", "MAX_OPEN_ORDERS_PER_CLIENT=1000000"}
	procs := make([]*loadkit.Proc, n)
	urls := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n { // all at once: migrations and seeding must not race
		wg.Go(func() { procs[i], urls[i], errs[i] = loadkit.StartApp(m.bin, env) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	t.Cleanup(func() {
		for i, p := range procs {
			if t.Failed() {
				t.Logf("instance %d log:\n%s", i, p.Tail())
			}
			if !m.dead[i].Load() {
				if err := p.Stop(15 * time.Second); err != nil {
					t.Errorf("instance %d stop: %v\n%s", i, err, p.Tail())
				}
			}
			if r := p.Races(); r > 0 {
				t.Errorf("instance %d: %d data races:\n%s", i, r, p.Tail())
			}
			if strings.Contains(p.Tail(), "multi-instance-db-password") {
				t.Errorf("instance %d logged the database password", i)
			}
		}
	})
	mu.Lock()
	m.urls, m.procs = urls, procs
	mu.Unlock()
	return m
}

// kill ends instance i with SIGKILL; the proxy stops sending to it.
func (m *multiRig) kill(i int) {
	m.dead[i].Store(true)
	m.procs[i].Kill()
}

// stopAll stops the living instances gracefully.
func (m *multiRig) stopAll() {
	for i, p := range m.procs {
		if !m.dead[i].Load() {
			if err := p.Stop(15 * time.Second); err != nil {
				m.t.Errorf("instance %d stop: %v\n%s", i, err, p.Tail())
			}
			m.dead[i].Store(true) // stopped: cleanup leaves it alone
		}
	}
}

func (m *multiRig) simControl(t *testing.T, body string) {
	t.Helper()
	resp, err := http.Post(m.sim+"/control", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator control %s: HTTP %d", body, resp.StatusCode)
	}
}

// checkPaidOnce reads the shared database: each order's timeline has
// exactly one move to PAID, whichever instances raced to record it.
func (m *multiRig) checkPaidOnce(t *testing.T, tokens []string) {
	t.Helper()
	db, err := sql.Open("pgx", m.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, token := range tokens {
		var n int
		err := db.QueryRow(`SELECT COUNT(*) FROM order_events e JOIN orders o ON o.id = e.order_id
			WHERE o.token = $1 AND e.kind = 'status' AND e.summary LIKE '%→ PAID%'`, token).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("order %s moved to PAID %d times, want once", token, n)
		}
	}
}

// waitStreamPaid reads a payment page's status stream until it says PAID.
func waitStreamPaid(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("stream: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data:") && strings.Contains(sc.Text(), `"status":"PAID"`) {
			return nil
		}
	}
	return fmt.Errorf("stream ended without PAID: %v", sc.Err())
}

// withPassword puts a password into the database URL (the test cluster
// trusts local connections and ignores it) so that the test can check that
// no instance logs it.
func withPassword(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "multi-instance-db-password")
	return u.String()
}

// requirePostgres skips a test of several instances on SQLite, which one
// process owns; `make test-pg` runs it.
func requirePostgres(t *testing.T) {
	if !testrig.UsesPostgres() {
		t.Skip("needs PostgreSQL: run under .ci/with-postgres (make test-pg), which sets " + testrig.PostgresEnv)
	}
}
