package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// AdminQuerySQL is the SQL, with its arguments inlined, of one admin query
// as the store would run it: "list" (a page of SearchOrders), "totals"
// (OrderTotals) or "chart" (PaidPerDay over [from, to) of f).
func (s *Store) AdminQuerySQL(ctx context.Context, which string, f models.OrderFilter) (string, error) {
	mode, err := s.searchMode(ctx, f)
	if err != nil {
		return "", err
	}
	var q *gorm.DB
	dry := s.db.Session(&gorm.Session{DryRun: true}).WithContext(ctx)
	switch which {
	case "list":
		q = s.page(dry, f, mode, 0, 50).Find(&[]models.Order{})
	case "totals":
		var row struct{ Count, PaidCount, PaidFee int64 }
		q = s.totals(dry, f, mode).Find(&row)
	case "chart":
		var rows []struct{ Day string }
		q = s.paidPerDay(dry, f.From, f.To).Find(&rows)
	default:
		return "", fmt.Errorf("no admin query %q", which)
	}
	if q.Error != nil {
		return "", q.Error
	}
	return s.db.Dialector.Explain(q.Statement.SQL.String(), q.Statement.Vars...), nil
}

// QueryPlan is SQLite's EXPLAIN QUERY PLAN of sql, one step a line.
func (s *Store) QueryPlan(ctx context.Context, sql string) (string, error) {
	var rows []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := s.db.WithContext(ctx).Raw("EXPLAIN QUERY PLAN " + sql).Scan(&rows).Error; err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Detail + "\n")
	}
	return b.String(), nil
}

// BulkInsertOrders inserts orders in large batches straight into the
// database, bypassing the writer: for benchmarks only.
func (s *Store) BulkInsertOrders(ctx context.Context, orders []models.Order) error {
	return s.db.WithContext(ctx).Session(&gorm.Session{SkipHooks: true}).Omit("Product", "Items").CreateInBatches(orders, 500).Error
}

// Checkpoint moves the WAL into the database file, as SQLite does by
// itself after ordinary writes.
func (s *Store) Checkpoint(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}

// OrderIndexes are the names of the orders table's indexes (SQLite).
func (s *Store) OrderIndexes(ctx context.Context) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' ORDER BY name").Scan(&names).Error
	return names, err
}

// DropIndex drops an index, to stand for a database from before it.
func (s *Store) DropIndex(ctx context.Context, name string) error {
	return s.db.WithContext(ctx).Exec("DROP INDEX " + name).Error
}

// SetExportBatch makes EachOrder read n orders per query for one test, so
// that a few orders cross batch boundaries.
func SetExportBatch(tb testing.TB, n int) {
	old := exportBatch
	exportBatch = n
	tb.Cleanup(func() { exportBatch = old })
}

// GaugeQuerySQL is the SQL, arguments inlined, of each query of Gauges.
func (s *Store) GaugeQuerySQL(ctx context.Context, now time.Time) (map[string]string, error) {
	dry := s.db.Session(&gorm.Session{DryRun: true}).WithContext(ctx)
	out := map[string]string{}
	for name, q := range s.gaugeQueries(dry, now) {
		var n int64
		q = q.Count(&n)
		if q.Error != nil {
			return nil, q.Error
		}
		out[name] = s.db.Dialector.Explain(q.Statement.SQL.String(), q.Statement.Vars...)
	}
	var o models.Order
	q := oldestDue(dry).Find(&o)
	if q.Error != nil {
		return nil, q.Error
	}
	out["oldest"] = s.db.Dialector.Explain(q.Statement.SQL.String(), q.Statement.Vars...)
	return out, nil
}
