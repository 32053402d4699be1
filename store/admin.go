package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// filtered applies an admin filter to a query on orders. A search term is
// matched exactly against the order numbers and the SKU (see search).
func (s *Store) filtered(ctx context.Context, f models.OrderFilter) *gorm.DB {
	return s.filter(s.db.WithContext(ctx), f, searchAny)
}

// searchMode is how a search term is matched: the admin list looks the
// term up as a number first (searchNumbers), and as a SKU only when no
// order has that number (searchSKU), so that each query has one index
// that answers it in order; searchAny matches either in one query.
type searchMode int

const (
	searchAny searchMode = iota
	searchNumbers
	searchSKU
)

// numbersMatch is the exact match of a term on the order's numbers: ours,
// WeChat's and the merchant's; each has an index of its own.
const numbersMatch = "(out_trade_no = @t OR transaction_id = @t OR merchant_trade_no = @t)"

// filter applies f to a query on orders from db.
func (s *Store) filter(db *gorm.DB, f models.OrderFilter, mode searchMode) *gorm.DB {
	q := db.Model(&models.Order{})
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
		t := sql.Named("t", term)
		switch mode {
		case searchNumbers:
			q = q.Where(numbersMatch, t)
		case searchSKU:
			q = q.Where("sku = @t", t)
		default:
			q = q.Where(numbersMatch[:len(numbersMatch)-1]+" OR sku = @t)", t)
		}
	}
	return q
}

// searchMode decides how f's term is matched in the list and its totals:
// as a number when some order has it, else as a SKU.
func (s *Store) searchMode(ctx context.Context, f models.OrderFilter) (searchMode, error) {
	term := strings.TrimSpace(f.Query)
	if term == "" {
		return searchAny, nil
	}
	var ids []uint
	err := s.db.WithContext(ctx).Model(&models.Order{}).Where(numbersMatch, sql.Named("t", term)).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return searchAny, fmt.Errorf("search orders: %w", err)
	}
	if len(ids) > 0 {
		return searchNumbers, nil
	}
	return searchSKU, nil
}

// page is one page of the list from db: newest first, or, for the page
// newer than f.Newer, oldest first (SearchOrders turns it round).
func (s *Store) page(db *gorm.DB, f models.OrderFilter, mode searchMode, offset, limit int) *gorm.DB {
	q := s.filter(db, f, mode)
	switch {
	case f.Newer != nil:
		k := f.Newer
		return q.Where("(created_at, id) > (?, ?)", k.CreatedAt.UTC(), k.ID).
			Order("created_at, id").Limit(limit)
	case f.Older != nil:
		q = olderThan(q, f.Older)
	}
	return q.Order("created_at DESC, id DESC").Offset(offset).Limit(limit)
}

// olderThan keeps the orders after k in the newest-first list: the keyset
// cursor of the list's pages and of the export (EachOrder). It is a row
// value, which both SQLite and PostgreSQL read as one range of an index on
// (created_at, id) — the spelled-out created_at < ? OR (created_at = ? AND
// id < ?) is not, on SQLite, and costs a sort per page.
func olderThan(q *gorm.DB, k *models.OrderKey) *gorm.DB {
	return q.Where("(created_at, id) < (?, ?)", k.CreatedAt.UTC(), k.ID)
}

// SearchOrders returns one page of the orders f selects, newest first:
// after f.Older or before f.Newer when set (keyset pages: the cost of a
// page does not grow with how far back it is), else from the newest,
// skipping offset orders.
func (s *Store) SearchOrders(ctx context.Context, f models.OrderFilter, offset, limit int) ([]models.Order, error) {
	mode, err := s.searchMode(ctx, f)
	if err != nil {
		return nil, err
	}
	var os []models.Order
	if err := s.page(s.db.WithContext(ctx), f, mode, offset, limit).Find(&os).Error; err != nil {
		return nil, fmt.Errorf("search orders: %w", err)
	}
	if f.Newer != nil {
		slices.Reverse(os)
	}
	return os, nil
}

// totals is the query of OrderTotals.
func (s *Store) totals(db *gorm.DB, f models.OrderFilter, mode searchMode) *gorm.DB {
	return s.filter(db, f, mode).Select(
		"COUNT(*) AS count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN 1 ELSE 0 END), 0) AS paid_count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN total_fee - refunded_fee ELSE 0 END), 0) AS paid_fee",
		models.StatusPaid, models.StatusRefund, models.StatusPaid, models.StatusRefund)
}

// OrderTotals counts the orders f selects and sums what was paid less what
// was refunded (net receipts), in SQL and in integer fen. A filter of
// whole Beijing days and a status is read from the daily aggregates (a
// few rows a day, whatever the number of orders); any other costs what it
// selects, and the admin bounds it by date (handlers).
func (s *Store) OrderTotals(ctx context.Context, f models.OrderFilter) (models.OrderTotals, error) {
	var row struct {
		Count     int64
		PaidCount int64
		PaidFee   int64
	}
	q, ok := s.dayTotals(s.db.WithContext(ctx), f)
	if !ok {
		mode, err := s.searchMode(ctx, f)
		if err != nil {
			return models.OrderTotals{}, err
		}
		q = s.totals(s.db.WithContext(ctx), f, mode)
	}
	if err := q.Scan(&row).Error; err != nil {
		return models.OrderTotals{}, fmt.Errorf("order totals: %w", err)
	}
	return models.OrderTotals{Count: row.Count, PaidCount: row.PaidCount, PaidFee: models.Money(row.PaidFee)}, nil
}

// paidPerDay is the query of PaidPerDay: a range of idx_orders_paid per
// paid status, which holds every column it reads.
func (s *Store) paidPerDay(db *gorm.DB, from, to time.Time) *gorm.DB {
	return db.Model(&models.Order{}).
		Select(s.beijingDayOf("paid_at")+" AS day, COUNT(*) AS count, COALESCE(SUM(total_fee - refunded_fee), 0) AS paid_fee").
		Where("status IN ? AND paid_at >= ? AND paid_at < ?", []models.OrderStatus{models.StatusPaid, models.StatusRefund},
			from.UTC(), to.UTC()).
		Group("day").Order("day")
}

// PaidPerDay sums paid orders (refunded ones too, net of what was
// refunded) by the Beijing day of their payment, for payments in
// [from, to). Days without payments are absent. Bounds at Beijing
// midnights read the daily aggregates; others the orders.
func (s *Store) PaidPerDay(ctx context.Context, from, to time.Time) ([]models.DayTotal, error) {
	var rows []struct {
		Day     string
		Count   int64
		PaidFee int64
	}
	q, ok := s.dayChart(s.db.WithContext(ctx), from, to)
	if !ok {
		q = s.paidPerDay(s.db.WithContext(ctx), from, to)
	}
	err := q.Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("paid per day: %w", err)
	}
	out := make([]models.DayTotal, len(rows))
	for i, r := range rows {
		out[i] = models.DayTotal{Day: r.Day, Count: r.Count, PaidFee: models.Money(r.PaidFee)}
	}
	return out, nil
}
