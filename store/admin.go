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
		k := f.Older
		q = q.Where("(created_at, id) < (?, ?)", k.CreatedAt.UTC(), k.ID) // a row value: one index range on both databases
	}
	return q.Order("created_at DESC, id DESC").Offset(offset).Limit(limit)
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

// EachOrder calls fn for every order f selects, newest first. It reads
// keyset batches of exportBatch orders ((created_at, id) below the last
// one's, never OFFSET, so each batch costs the same however deep the export
// is) and only the columns the export needs (see exportColumns: the order's
// other fields are left zero). No database connection or read transaction
// is held while fn runs, so a slow download neither pins a connection nor
// keeps SQLite's WAL from being checkpointed. The *Order passed to fn is
// reused: fn must not keep it.
func (s *Store) EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error {
	batch := make([]models.Order, 0, exportBatch)
	var last *models.Order
	for {
		var err error
		if batch, err = s.exportPage(ctx, f, last, batch[:0]); err != nil {
			return fmt.Errorf("export orders: %w", err)
		}
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		if len(batch) < exportBatch {
			return nil
		}
		after := batch[len(batch)-1]
		last = &after
	}
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

// exportBatch is how many orders EachOrder reads per query.
var exportBatch = 1000

// exportColumns are the columns EachOrder reads, in scanExport's order.
// Columns added after the table was first created are NULL in older rows.
const exportColumns = "id, out_trade_no, created_at, status, expires_at, sku, body, COALESCE(detail, ''), quantity, " +
	"total_fee, COALESCE(transaction_id, ''), paid_at, COALESCE(flags, ''), refunded_fee, " +
	"COALESCE(buyer_name, ''), COALESCE(buyer_phone, ''), COALESCE(buyer_address, ''), COALESCE(buyer_note, ''), " +
	"COALESCE(fulfilment, ''), COALESCE(tracking_no, '')"

// exportPage appends to out the next batch of the orders f selects, after
// last (nil: from the newest). The keyset condition is written so that
// both SQLite and PostgreSQL walk the created_at index from the bound.
func (s *Store) exportPage(ctx context.Context, f models.OrderFilter, last *models.Order, out []models.Order) ([]models.Order, error) {
	q := s.filtered(ctx, f).Select(exportColumns).Order("created_at DESC, id DESC").Limit(exportBatch)
	if last != nil {
		at := last.CreatedAt.UTC()
		q = q.Where("created_at <= ? AND (created_at < ? OR id < ?)", at, at, last.ID)
	}
	rows, err := q.Rows()
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		out = append(out, models.Order{})
		if err := scanExport(rows, &out[len(out)-1]); err != nil {
			return out, err
		}
	}
	return out, rows.Err()
}

// scanExport reads one row of exportColumns into o with database/sql's
// Scan (gorm's ScanRows costs a reflection walk of the whole model per row).
func scanExport(rows *sql.Rows, o *models.Order) error {
	var status, fulfil string
	var total, refunded int64
	var paid sql.NullTime
	err := rows.Scan(&o.ID, &o.OutTradeNo, &o.CreatedAt, &status, &o.ExpiresAt, &o.SKU, &o.Body, &o.Detail, &o.Quantity,
		&total, &o.TransactionID, &paid, &o.Flags, &refunded, &o.Buyer.Name, &o.Buyer.Phone, &o.Buyer.Address, &o.Buyer.Note,
		&fulfil, &o.TrackingNo)
	if err != nil {
		return err
	}
	o.Status, o.Fulfilment = models.OrderStatus(status), models.Fulfilment(fulfil)
	o.TotalFee, o.RefundedFee = models.Money(total), models.Money(refunded)
	if paid.Valid {
		t := paid.Time
		o.PaidAt = &t
	}
	return nil
}
