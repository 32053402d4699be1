package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	sqlite3 "github.com/mattn/go-sqlite3"
	"strconv"
	"time"

	"wxcheckout/models"
)

// exportBatch is how many orders EachOrder reads per query.
var exportBatch = 1000

// EachOrder calls fn for every order f selects, newest first. It reads
// keyset batches of exportBatch orders ((created_at, id) below the last
// one's, the list's cursor olderThan, never OFFSET, so each batch costs the
// same however deep the export is) and only the columns the export needs
// (see exportColumns: the order's other fields are left zero).
//
// The next batch is read while fn handles the current one, so the reading
// and the writing of a download overlap; at most two batches are in memory
// whatever the number of orders. No connection or read transaction is held
// between batches, so a slow download neither pins a connection nor keeps
// SQLite's WAL from being checkpointed. The *Order passed to fn is reused:
// fn must not keep it.
func (s *Store) EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		orders []models.Order
		err    error
	}
	full := make(chan batch, 1)          // read, waiting for fn
	free := make(chan []models.Order, 2) // handed back by fn
	free <- make([]models.Order, 0, exportBatch)
	free <- make([]models.Order, 0, exportBatch)
	go func() {
		defer close(full)
		var last *models.OrderKey
		for {
			var buf []models.Order
			select {
			case buf = <-free:
			case <-ctx.Done():
				full <- batch{err: ctx.Err()}
				return
			}
			buf, err := s.exportPage(ctx, f, last, buf[:0])
			full <- batch{buf, err}
			if err != nil || len(buf) < exportBatch {
				return
			}
			o := buf[len(buf)-1]
			last = &models.OrderKey{CreatedAt: o.CreatedAt, ID: o.ID}
		}
	}()
	err := func() error {
		for b := range full {
			if b.err != nil {
				return fmt.Errorf("export orders: %w", b.err)
			}
			for i := range b.orders {
				if err := fn(&b.orders[i]); err != nil {
					return err
				}
			}
			free <- b.orders
		}
		return nil
	}()
	cancel()
	for range full { // the reader's last batch, if it was under way
	}
	return err
}

// exportColumns are the columns EachOrder reads, in scanExport's order.
// Columns added after the table was first created are NULL in older rows.
// %[1]s, %[2]s and %[3]s are the three instants (see exportTimes).
const exportColumns = "id, out_trade_no, %[1]s, status, %[2]s, sku, body, COALESCE(detail, ''), quantity, " +
	"total_fee, COALESCE(transaction_id, ''), %[3]s, COALESCE(flags, ''), refunded_fee, " +
	"COALESCE(buyer_name, ''), COALESCE(buyer_phone, ''), COALESCE(buyer_address, ''), COALESCE(buyer_note, ''), " +
	"COALESCE(fulfilment, ''), COALESCE(tracking_no, '')"

// exportSelect is exportColumns for the store's database. SQLite's driver
// parses a datetime column's text by trying layouts in turn, which was a
// large share of the export's time; the text itself (CAST, which drops the
// column's declared type) goes to parseSQLiteTime's fixed layout instead.
// PostgreSQL sends timestamps in binary: read as they are.
func (s *Store) exportSelect() string {
	if s.pg != nil {
		return fmt.Sprintf(exportColumns, "created_at", "expires_at", "paid_at")
	}
	return fmt.Sprintf(exportColumns, "CAST(created_at AS TEXT)", "CAST(expires_at AS TEXT)", "CAST(paid_at AS TEXT)")
}

// exportPage appends to out the next batch of the orders f selects, after
// last (nil: from the newest), as the list's page does (s.page: the same
// filter, order and cursor, so the same index range).
func (s *Store) exportPage(ctx context.Context, f models.OrderFilter, last *models.OrderKey, out []models.Order) ([]models.Order, error) {
	f.Older, f.Newer = last, nil
	if err := ctx.Err(); err != nil {
		return out, err
	}
	// The batch is read without ctx's cancellation (checked above, between
	// batches): with a cancellable context mattn/go-sqlite3 steps every
	// row in a goroutine of its own and waits for it, which tripled the
	// export's wall time. A batch is a thousand rows of one index range.
	rows, err := s.page(s.db.WithContext(context.WithoutCancel(ctx)), f, searchAny, 0, exportBatch).Select(s.exportSelect()).Rows()
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
	var created, expires, paid dbTime
	err := rows.Scan(&o.ID, &o.OutTradeNo, &created, &status, &expires, &o.SKU, &o.Body, &o.Detail, &o.Quantity,
		&total, &o.TransactionID, &paid, &o.Flags, &refunded, &o.Buyer.Name, &o.Buyer.Phone, &o.Buyer.Address, &o.Buyer.Note,
		&fulfil, &o.TrackingNo)
	if err != nil {
		return err
	}
	o.CreatedAt, o.ExpiresAt = created.t, expires.t
	o.Status, o.Fulfilment = models.OrderStatus(status), models.Fulfilment(fulfil)
	o.TotalFee, o.RefundedFee = models.Money(total), models.Money(refunded)
	if paid.valid {
		t := paid.t
		o.PaidAt = &t
	}
	return nil
}

// dbTime scans an instant: a time.Time (PostgreSQL), or SQLite's text.
// NULL leaves it invalid.
type dbTime struct {
	t     time.Time
	valid bool
}

func (d *dbTime) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case nil:
		d.valid = false
		return nil
	case time.Time:
		d.t = v
	case string:
		d.t, err = parseSQLiteTime(v)
	case []byte:
		d.t, err = parseSQLiteTime(string(v))
	default:
		err = fmt.Errorf("instant of type %T", src)
	}
	d.valid = err == nil
	return err
}

var errBadTime = errors.New("not a time")

// parseSQLiteTime reads the text the driver writes for a time.Time,
// "2006-01-02 15:04:05.999999999-07:00" (fraction optional), with fixed
// offsets rather than time.Parse's layout walk, and anything else as the
// driver would: its layouts in turn, a trailing Z dropped, in UTC (an
// integer, which the driver takes for Unix seconds, as it does).
func parseSQLiteTime(s string) (time.Time, error) {
	if t, ok := parseFixedTime(s); ok {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		// an integer the driver would read as Unix seconds, or
		// milliseconds when too large for seconds
		if n > 1e12 || n < -1e12 {
			return time.Unix(0, n*int64(time.Millisecond)).UTC(), nil
		}
		return time.Unix(0, n*int64(time.Second)).UTC(), nil
	}
	if len(s) > 0 && s[len(s)-1] == 'Z' {
		s = s[:len(s)-1]
	}
	for _, layout := range sqlite3.SQLiteTimestampFormats { // the driver's own layouts
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q", errBadTime, s)
}

// parseFixedTime is parseSQLiteTime's fast path: "YYYY-MM-DD hh:mm:ss",
// then an optional fraction of 1–9 digits, then "+hh:mm" or "-hh:mm", each
// field in range; ok is false for anything else.
func parseFixedTime(s string) (t time.Time, ok bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return t, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return t, false
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		digits := n - 1
		if digits < 1 || digits > 9 {
			return t, false
		}
		nsec, _ = num(20, digits)
		for range 9 - digits {
			nsec *= 10
		}
		rest = rest[n:]
	}
	if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return t, false
	}
	oh, ok7 := num(len(s)-5, 2)
	om, ok8 := num(len(s)-2, 2)
	if !ok7 || !ok8 || oh > 23 || om > 59 {
		return t, false
	}
	offset := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
	if rest[0] == '-' {
		offset = -offset
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-offset), true
}

// daysIn is the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
