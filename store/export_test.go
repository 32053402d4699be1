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
// as the store would run it: "list" (a page of SearchOrders), "export"
// (a batch of EachOrder), "totals"
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
	case "export": // one batch of EachOrder, after f.Older when set
		f.Newer = nil
		q = s.page(dry, f, searchAny, 0, exportBatch).Select(s.exportSelect()).Find(&[]models.Order{})
	case "totals":
		var row struct{ Count, PaidCount, PaidFee int64 }
		q = s.totals(dry, f, mode).Find(&row)
	case "chart":
		var rows []struct{ Day string }
		q = s.paidPerDay(dry, f.From, f.To).Find(&rows)
	case "day-totals", "day-chart":
		var ok bool
		if which == "day-totals" {
			q, ok = s.dayTotals(dry, f)
		} else {
			q, ok = s.dayChart(dry, f.From, f.To)
		}
		if !ok {
			return "", fmt.Errorf("%s: the filter is not one of whole days", which)
		}
		var rows []struct{ Day string }
		q = q.Find(&rows)
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

// DayRows reads the daily aggregates, leaving out rows that sum to
// nothing: by "created day|status" the count, total_fee and refunded_fee;
// by paid day the count and the net paid fee.
func (s *Store) DayRows(ctx context.Context) (map[string][3]int64, map[string][2]int64, error) {
	var ods []orderDay
	var pds []paidDay
	if err := s.db.WithContext(ctx).Find(&ods).Error; err != nil {
		return nil, nil, err
	}
	if err := s.db.WithContext(ctx).Find(&pds).Error; err != nil {
		return nil, nil, err
	}
	orders, paid := map[string][3]int64{}, map[string][2]int64{}
	for _, o := range ods {
		if o != (orderDay{Day: o.Day, Status: o.Status}) {
			orders[o.Day+"|"+string(o.Status)] = [3]int64{o.N, o.TotalFee, o.RefundedFee}
		}
	}
	for _, p := range pds {
		if p.N != 0 || p.PaidFee != 0 {
			paid[p.Day] = [2]int64{p.N, p.PaidFee}
		}
	}
	return orders, paid, nil
}

// RebuildDays recounts the daily aggregates from the orders: for orders
// that BulkInsertOrders wrote past them.
func (s *Store) RebuildDays(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(s.rebuildDays)
}

// ForgetDays empties the daily aggregates and forgets they were built, to
// stand for a database from before them; BackfillDays then runs the
// migration's step again.
func (s *Store) ForgetDays(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	for _, q := range []string{"DELETE FROM order_days", "DELETE FROM paid_days"} {
		if err := db.Exec(q).Error; err != nil {
			return err
		}
	}
	return db.Exec("DELETE FROM settings WHERE key = ?", daysDone).Error
}

// BackfillDays is the migration's step that builds the aggregates once.
func (s *Store) BackfillDays(ctx context.Context) error { return s.backfillDays(s.db.WithContext(ctx)) }

// ParseSQLiteTime is parseSQLiteTime, for tests.
var ParseSQLiteTime = parseSQLiteTime

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
	var rows []orderDay
	q := ordersByStatus(dry).Find(&rows)
	if q.Error != nil {
		return nil, q.Error
	}
	out["orders"] = s.db.Dialector.Explain(q.Statement.SQL.String(), q.Statement.Vars...)
	var o models.Order
	q = oldestDue(dry).Find(&o)
	if q.Error != nil {
		return nil, q.Error
	}
	out["oldest"] = s.db.Dialector.Explain(q.Statement.SQL.String(), q.Statement.Vars...)
	return out, nil
}
