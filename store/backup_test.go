package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// committedLog is what the writers know is committed: each order is
// appended after CreateOrder returned, and marked paid after its payment
// returned.
type committedLog struct {
	mu   sync.Mutex
	nos  []string
	paid map[string]bool
}

func (c *committedLog) snapshot() (nos []string, paid map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	paid = make(map[string]bool, len(c.paid))
	for k := range c.paid {
		paid[k] = true
	}
	return append([]string(nil), c.nos...), paid
}

// TestBackupDuringConcurrentWrites copies the database — once through the
// running store, once from a connection of its own as `wxcheckout backup`
// does from another process — while goroutines keep creating and paying
// orders. Each copy must open, pass integrity_check, and hold every order
// (and every payment) whose commit returned before the backup began.
func TestBackupDuringConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	s, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	must(t, s.SeedProducts(ctx, []models.Product{{SKU: "COFFEE", Name: "咖啡", Price: 5800, Active: true}}))
	p, err := s.ProductBySKU(ctx, "COFFEE")
	must(t, err)

	log := &committedLog{paid: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	writeErr := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				no := fmt.Sprintf("BK%02d%08d", w, i)
				o := &models.Order{OutTradeNo: no, Token: "tok-" + no, ProductID: &p.ID, SKU: p.SKU, Body: p.Name,
					Quantity: 1, UnitPrice: p.Price, TotalFee: p.Price, Status: models.StatusNotPay, Prepay: models.PrepayDone,
					ClientIP: "10.0.0.1", ClientKey: "10.0.0.1", TimeStart: anyDBNow, ExpiresAt: anyDBNow.Add(15 * time.Minute),
					NextQueryAt: anyDBNow.Add(time.Minute)}
				if err := s.CreateOrder(ctx, o, &models.OrderEvent{Kind: models.EventCreated, OK: true, Summary: "created"}); err != nil {
					writeErr <- err
					return
				}
				log.mu.Lock()
				log.nos = append(log.nos, no)
				log.mu.Unlock()
				if i%2 == 0 {
					_, applied, err := s.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
						ch, _ := cur.Pay(payment(o, "42"+no))
						return ch
					})
					if err != nil || !applied {
						writeErr <- fmt.Errorf("pay %s: applied %v, %v", no, applied, err)
						return
					}
					log.mu.Lock()
					log.paid[no] = true
					log.mu.Unlock()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	waitForOrders := func(n int) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			log.mu.Lock()
			got := len(log.nos)
			log.mu.Unlock()
			if got >= n {
				return
			}
			select {
			case err := <-writeErr:
				t.Fatal(err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d orders written in 30 s", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	backups := []struct {
		name string
		do   func(dest string) (store.BackupResult, error)
	}{
		{"through the store", func(dest string) (store.BackupResult, error) { return s.Backup(ctx, dest) }},
		{"from another connection", func(dest string) (store.BackupResult, error) { return store.BackupFile(ctx, src, dest) }},
	}
	for i, b := range backups {
		waitForOrders(200 * (i + 1))
		dest := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		before, paidBefore := log.snapshot()
		res, err := b.do(dest)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if res.Orders < int64(len(before)) || res.Bytes == 0 {
			t.Errorf("%s: result %+v, want at least %d orders and some bytes", b.name, res, len(before))
		}
		checkIntegrity(t, dest)
		if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: the copy's mode: %v, %v; want 0600", b.name, fi.Mode(), err)
		}
		// The app opens the copy: a restore.
		c, err := store.Open(dest)
		if err != nil {
			t.Fatalf("%s: open the copy: %v", b.name, err)
		}
		for _, no := range before {
			o, err := c.OrderByOutTradeNo(ctx, no)
			if err != nil {
				t.Errorf("%s: order %s committed before the backup is missing: %v", b.name, no, err)
				continue
			}
			if paidBefore[no] && o.Status != models.StatusPaid {
				t.Errorf("%s: order %s paid before the backup is %s in the copy", b.name, no, o.Status)
			}
		}
		must(t, c.Close())
		after, _ := log.snapshot()
		t.Logf("%s: %d orders committed before, %d copied, %d committed by the end; %d bytes in %v",
			b.name, len(before), res.Orders, len(after), res.Bytes, res.Duration)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check of %s = %q, %v", path, res, err)
	}
}

// An existing file is never overwritten, and a failed backup leaves
// nothing behind.
func TestBackupRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	s, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dest := filepath.Join(dir, "old.db")
	must(t, os.WriteFile(dest, []byte("yesterday's backup"), 0o600))
	for _, do := range []func() (store.BackupResult, error){
		func() (store.BackupResult, error) { return s.Backup(context.Background(), dest) },
		func() (store.BackupResult, error) { return store.BackupFile(context.Background(), src, dest) },
	} {
		if _, err := do(); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
			t.Errorf("backup over an existing file: %v", err)
		}
	}
	if b, _ := os.ReadFile(dest); string(b) != "yesterday's backup" {
		t.Errorf("the existing file changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// A missing source is an error, not a fresh empty database copied.
func TestBackupFileMissingSource(t *testing.T) {
	dir := t.TempDir()
	_, err := store.BackupFile(context.Background(), filepath.Join(dir, "nope.db"), filepath.Join(dir, "b.db"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup of a missing database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the missing database was created")
	}
}

// On PostgreSQL the store sends the operator to pg_dump; on SQLite it
// copies.
func TestBackupOnAnyDatabase(t *testing.T) {
	st := testrig.MustOpenStore(t)
	dest := filepath.Join(t.TempDir(), "b.db")
	_, err := st.Backup(context.Background(), dest)
	if testrig.UsesPostgres() {
		if !errors.Is(err, store.ErrBackupPostgres) || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("backup on PostgreSQL: %v, want ErrBackupPostgres", err)
		}
		if _, serr := os.Stat(dest); serr == nil {
			t.Error("a file was written")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	checkIntegrity(t, dest)
}

// BenchmarkBackup copies a database of 5,000 orders (each with its
// created event): bytes and time per copy, verification included.
//
//	go test -run '^$' -bench Backup -benchtime 10x ./store/
func BenchmarkBackup(b *testing.B) {
	dir := b.TempDir()
	s, err := store.Open(filepath.Join(dir, "live.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.SeedProducts(ctx, []models.Product{{SKU: "COFFEE", Name: "咖啡", Price: 5800, Active: true}}); err != nil {
		b.Fatal(err)
	}
	p, _ := s.ProductBySKU(ctx, "COFFEE")
	const orders, workers = 5000, 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < orders; i += workers {
				no := fmt.Sprintf("BENCH%08d", i)
				o := &models.Order{OutTradeNo: no, Token: "tok-" + no, ProductID: &p.ID, SKU: p.SKU, Body: p.Name,
					Quantity: 1, UnitPrice: p.Price, TotalFee: p.Price, Status: models.StatusNotPay, Prepay: models.PrepayDone,
					TimeStart: anyDBNow, ExpiresAt: anyDBNow.Add(15 * time.Minute)}
				if err := s.CreateOrder(ctx, o, &models.OrderEvent{Kind: models.EventCreated, OK: true, Summary: "created"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	var bytes int64
	for i := 0; b.Loop(); i++ {
		res, err := s.Backup(ctx, filepath.Join(dir, fmt.Sprintf("b%d.db", i)))
		if err != nil || res.Orders != orders {
			b.Fatalf("%+v, %v", res, err)
		}
		bytes = res.Bytes
	}
	b.ReportMetric(float64(bytes)/(1<<20), "MiB/copy")
}
