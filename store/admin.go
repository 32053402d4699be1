package store

import (
	"context"
	"database/sql"
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
