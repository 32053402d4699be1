package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
)

var shanghai = time.FixedZone("CST", 8*3600)

// Callers may hand the store times in any zone (servers in China run
// Asia/Shanghai); what it stores and compares must be the same instants.
func TestTimesInAnyZoneAreStoredAndComparedAsInstants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tz.db")
	s, err := store.Open(path)
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	must(t, s.SeedProducts(ctx, []models.Product{{SKU: "A", Name: "甲", Price: 100, Active: true}}))
	p, _ := s.ProductBySKU(ctx, "A")
	created := time.Date(2026, 11, 22, 18, 0, 0, 0, shanghai) // 10:00 UTC
	o := &models.Order{OutTradeNo: "202611221800000001", Token: "tz-token", ProductID: &p.ID, SKU: "A", Body: "甲", Quantity: 1,
		UnitPrice: 100, TotalFee: 100, Status: models.StatusNotPay, Prepay: models.PrepayDone, TimeStart: created,
		ExpiresAt: created.Add(15 * time.Minute), NextQueryAt: created.Add(10 * time.Second), CreatedAt: created}
	must(t, s.CreateOrder(ctx, o, nil))

	// Due 10 s after creation, whichever zone "now" is read in.
	for _, now := range []time.Time{created.Add(10 * time.Second), created.Add(10 * time.Second).UTC()} {
		due, err := s.DueOrders(ctx, now, 10)
		must(t, err)
		if len(due) != 1 {
			t.Errorf("due at %v: %d orders, want the order", now, len(due))
		}
		if due, _ := s.DueOrders(ctx, now.Add(-time.Second), 10); len(due) != 0 {
			t.Errorf("due a second early at %v", now.Add(-time.Second))
		}
	}
	got, err := s.CountOpenOrders(ctx, "", created.Add(14*time.Minute))
	must(t, err)
	if got != 1 {
		t.Errorf("open orders 14 minutes in = %d, want 1", got)
	}
	if rows := rawTimes(t, path, "SELECT created_at, expires_at, next_query_at FROM orders"); strings.Contains(rows, "+08:00") {
		t.Errorf("stored times keep the caller's offset: %s", rows)
	}
}

// An older version stored times with the server's offset; opening the
// database rewrites them in UTC, keeping the instants.
func TestOpenRewritesLocalTimesInUTC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.Open(path)
	must(t, err)
	must(t, s.SeedProducts(context.Background(), []models.Product{{SKU: "A", Name: "甲", Price: 100, Active: true}}))
	s.Close()
	db, err := sql.Open("sqlite3", path)
	must(t, err)
	for _, q := range []string{
		`DELETE FROM settings WHERE key = 'schema:times_utc'`,
		`INSERT INTO orders (out_trade_no, token, product_id, sku, body, quantity, unit_price, total_fee, status, prepay,
			time_start, expires_at, next_query_at, created_at, paid_at)
		 VALUES ('202611221800000002', 'old-token', 1, 'A', '甲', 1, 100, 100, 'NOTPAY', 'done',
			'2026-11-22 18:00:00+08:00', '2026-11-22 18:15:00+08:00', '2026-11-22 18:00:10+08:00', '2026-11-22 18:00:00.5+08:00', NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = store.Open(path)
	must(t, err)
	defer s.Close()
	due, err := s.DueOrders(context.Background(), time.Date(2026, 11, 22, 10, 0, 10, 0, time.UTC), 10)
	must(t, err)
	if len(due) != 1 || !due[0].CreatedAt.Equal(time.Date(2026, 11, 22, 10, 0, 0, 5e8, time.UTC)) {
		t.Fatalf("due after migration = %+v, want the old order, created 10:00:00.5 UTC", due)
	}
	if rows := rawTimes(t, path, "SELECT time_start, expires_at, next_query_at, created_at FROM orders"); strings.Contains(rows, "+08:00") {
		t.Errorf("old local times not rewritten: %s", rows)
	}
}

func rawTimes(t *testing.T, path, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	must(t, err)
	defer db.Close()
	rows, err := db.Query(q)
	must(t, err)
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		must(t, rows.Scan(ptrs...))
		for _, v := range vals {
			out = append(out, v.String)
		}
	}
	return strings.Join(out, " | ")
}
