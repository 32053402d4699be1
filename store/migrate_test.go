package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"wxcheckout/models"
	"wxcheckout/store"
)

// An older database — here a products table from before NameEN and
// Description existed — is migrated in place and keeps its rows.
func TestOpenMigratesAnOlderSchemaKeepingData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE products (id integer PRIMARY KEY AUTOINCREMENT, sku text NOT NULL UNIQUE, name text NOT NULL, price integer NOT NULL, active numeric NOT NULL DEFAULT true, created_at datetime)`,
		`INSERT INTO products (sku, name, price, active) VALUES ('OLD', '老商品', 1234, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := store.Open(path)
	if err != nil {
		t.Fatalf("open an older database: %v", err)
	}
	defer s.Close()
	p, err := s.ProductBySKU(context.Background(), "OLD")
	if err != nil || p.Name != "老商品" || p.Price != 1234 {
		t.Fatalf("product after migration = %+v, %v", p, err)
	}
	if err := s.SeedProducts(context.Background(), []models.Product{{SKU: "NEW", Name: "新", Price: 1, Active: true}}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Products(context.Background()); len(ps) != 1 {
		t.Errorf("seeding a shop that has products added some: %d products", len(ps))
	}
}

// Reopening keeps everything: the schema step is idempotent.
func TestReopenKeepsOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.SeedProducts(ctx, []models.Product{{SKU: "A", Name: "甲", Price: 100, Active: true}}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.ProductBySKU(ctx, "A")
	o := &models.Order{OutTradeNo: "20261122000000000000REOPEN01", Token: "tok", ProductID: &p.ID, SKU: "A", Body: "甲",
		Quantity: 1, UnitPrice: 100, TotalFee: 100, Status: models.StatusPaid, Prepay: models.PrepayDone, TransactionID: "4200"}
	if err := s.CreateOrder(ctx, o, &models.OrderEvent{Kind: models.EventCreated, Summary: "x"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.OrderByOutTradeNo(ctx, o.OutTradeNo)
	if err != nil || got.Status != models.StatusPaid || got.TransactionID != "4200" {
		t.Fatalf("order after reopen = %+v, %v", got, err)
	}
	if evs, _ := s.Events(ctx, got.ID); len(evs) != 1 {
		t.Errorf("events after reopen = %d, want 1", len(evs))
	}
}

// An older database's replaced indexes are dropped at open: each costs
// every write, and the old client index misled SQLite's planner.
func TestOpenDropsReplacedIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE INDEX idx_orders_client_open ON orders(client_key)",
		"CREATE INDEX idx_orders_created_at ON orders(created_at)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if s, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names, err := s.OrderIndexes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	if have["idx_orders_client_open"] || have["idx_orders_created_at"] || !have["idx_orders_client_status"] {
		t.Errorf("indexes after reopening an older database: %v", names)
	}
}
