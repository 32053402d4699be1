package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// filtered applies an admin filter to a query on orders.
func (s *Store) filtered(ctx context.Context, f models.OrderFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&models.Order{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Fulfilment != models.FulfilNone {
		q = q.Where("fulfilment = ?", f.Fulfilment)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if term := strings.TrimSpace(f.Query); term != "" {
		like := "%" + escapeLike(term) + "%"
		op := "LIKE" // case-insensitive for ASCII on SQLite
		if s.pg != nil {
			op = "ILIKE"
		}
		q = q.Where(strings.ReplaceAll(`out_trade_no LIKE ? ESCAPE '\' OR transaction_id LIKE ? ESCAPE '\' OR sku LIKE ? ESCAPE '\' OR body LIKE ? ESCAPE '\'`, "LIKE", op),
			like, like, like, like)
	}
	return q
}

// escapeLike makes a search term match literally inside LIKE.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchOrders returns one page of the orders f selects, newest first.
func (s *Store) SearchOrders(ctx context.Context, f models.OrderFilter, offset, limit int) ([]models.Order, error) {
	var os []models.Order
	err := s.filtered(ctx, f).Order("created_at DESC, id DESC").Offset(offset).Limit(limit).Find(&os).Error
	if err != nil {
		return nil, fmt.Errorf("search orders: %w", err)
	}
	return os, nil
}

// OrderTotals counts the orders f selects and sums what was paid less what
// was refunded (net receipts), in SQL and in integer fen.
func (s *Store) OrderTotals(ctx context.Context, f models.OrderFilter) (models.OrderTotals, error) {
	var row struct {
		Count     int64
		PaidCount int64
		PaidFee   int64
	}
	err := s.filtered(ctx, f).Select(
		"COUNT(*) AS count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN 1 ELSE 0 END), 0) AS paid_count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN total_fee - refunded_fee ELSE 0 END), 0) AS paid_fee",
		models.StatusPaid, models.StatusRefund, models.StatusPaid, models.StatusRefund).Scan(&row).Error
	if err != nil {
		return models.OrderTotals{}, fmt.Errorf("order totals: %w", err)
	}
	return models.OrderTotals{Count: row.Count, PaidCount: row.PaidCount, PaidFee: models.Money(row.PaidFee)}, nil
}

// EachOrder calls fn for every order f selects, newest first, reading rows
// one at a time so that an export of any size streams.
func (s *Store) EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error {
	q := s.filtered(ctx, f).Order("created_at DESC, id DESC")
	rows, err := q.Rows()
	if err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o models.Order
		if err := s.db.ScanRows(rows, &o); err != nil {
			return fmt.Errorf("export orders: %w", err)
		}
		if err := fn(&o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	return nil
}

// beijingDay is the SQL for the Beijing calendar day of paid_at, whatever
// the server's zone (China has had no daylight saving time since 1991), as
// "2006-01-02", in each dialect.
func (s *Store) beijingDay() string {
	if s.pg != nil {
		return "to_char((paid_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
	}
	return "date(paid_at, '+8 hours')"
}

// PaidPerDay sums paid orders (refunded ones too, net of what was
// refunded) by the Beijing day of their payment, for payments in
// [from, to). Days without payments are absent.
func (s *Store) PaidPerDay(ctx context.Context, from, to time.Time) ([]models.DayTotal, error) {
	var rows []struct {
		Day     string
		Count   int64
		PaidFee int64
	}
	err := s.db.WithContext(ctx).Model(&models.Order{}).
		Select(s.beijingDay()+" AS day, COUNT(*) AS count, COALESCE(SUM(total_fee - refunded_fee), 0) AS paid_fee").
		Where("status IN ? AND paid_at >= ? AND paid_at < ?", []models.OrderStatus{models.StatusPaid, models.StatusRefund},
			from.UTC(), to.UTC()).
		Group("day").Order("day").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("paid per day: %w", err)
	}
	out := make([]models.DayTotal, len(rows))
	for i, r := range rows {
		out[i] = models.DayTotal{Day: r.Day, Count: r.Count, PaidFee: models.Money(r.PaidFee)}
	}
	return out, nil
}
