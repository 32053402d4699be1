package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// Daily aggregates of the orders, so that the admin's totals and chart cost
// a few rows per day instead of a scan of the orders they sum (issue 17).
// They are kept in the transaction of every write that creates an order or
// changes its status, refunded_fee or paid_at (bumpDays), and built once
// from the orders of a database from before them (backfillDays).

// orderDay sums the orders created on one Beijing day with one status.
type orderDay struct {
	Day         string             `gorm:"primaryKey;size:10"` // 2006-01-02, Beijing
	Status      models.OrderStatus `gorm:"primaryKey;size:16"`
	N           int64              `gorm:"not null;default:0"`
	TotalFee    int64              `gorm:"not null;default:0"`
	RefundedFee int64              `gorm:"not null;default:0"`
}

func (orderDay) TableName() string { return "order_days" }

// paidDay sums the paid orders (PAID and REFUND) by the Beijing day of
// their payment: the chart.
type paidDay struct {
	Day     string `gorm:"primaryKey;size:10"`
	N       int64  `gorm:"not null;default:0"`
	PaidFee int64  `gorm:"not null;default:0"` // total_fee - refunded_fee
}

func (paidDay) TableName() string { return "paid_days" }

// dayOf is the Beijing calendar day of t, "2006-01-02" (China has had no
// daylight saving time since 1991: a fixed +8 hours, as in the SQL).
func dayOf(t time.Time) string { return t.UTC().Add(8 * time.Hour).Format(time.DateOnly) }

// wholeDay reports the Beijing day that starts at t, if t is a Beijing
// midnight; the zero time is no bound ("").
func wholeDay(t time.Time) (string, bool) {
	if t.IsZero() {
		return "", true
	}
	b := t.UTC().Add(8 * time.Hour)
	if b.Hour() != 0 || b.Minute() != 0 || b.Second() != 0 || b.Nanosecond() != 0 {
		return "", false
	}
	return b.Format(time.DateOnly), true
}

// dayDelta is what one write adds to the aggregates.
type dayDelta struct {
	orders map[[2]string]orderDay
	paid   map[string]paidDay
}

// add counts o into d, sign times (+1 the order as it is after, -1 as it
// was before); a nil o counts nothing.
func (d *dayDelta) add(o *models.Order, sign int64) {
	if o == nil {
		return
	}
	k := [2]string{dayOf(o.CreatedAt), string(o.Status)}
	od := d.orders[k]
	od.Day, od.Status = k[0], o.Status
	od.N += sign
	od.TotalFee += sign * int64(o.TotalFee)
	od.RefundedFee += sign * int64(o.RefundedFee)
	d.orders[k] = od
	if o.Status.Paid() && o.PaidAt != nil {
		day := dayOf(*o.PaidAt)
		pd := d.paid[day]
		pd.Day = day
		pd.N += sign
		pd.PaidFee += sign * int64(o.TotalFee-o.RefundedFee)
		d.paid[day] = pd
	}
}

// bumpDays adds to the aggregates what changed from before to after (nil
// before: a new order), in tx. Rows are upserted in key order, so that
// concurrent writers on PostgreSQL lock them in one order and never
// deadlock on them.
func bumpDays(tx *gorm.DB, before, after *models.Order) error {
	d := newDayDelta()
	d.add(before, -1)
	d.add(after, +1)
	return d.write(tx)
}

func newDayDelta() dayDelta {
	return dayDelta{orders: map[[2]string]orderDay{}, paid: map[string]paidDay{}}
}

// write adds d to the aggregates in tx, in key order.
func (d dayDelta) write(tx *gorm.DB) error {
	var ods []orderDay
	for _, od := range d.orders {
		if od.N != 0 || od.TotalFee != 0 || od.RefundedFee != 0 {
			ods = append(ods, od)
		}
	}
	var pds []paidDay
	for _, pd := range d.paid {
		if pd.N != 0 || pd.PaidFee != 0 {
			pds = append(pds, pd)
		}
	}
	slices.SortFunc(ods, func(a, b orderDay) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Status, b.Status))
	})
	slices.SortFunc(pds, func(a, b paidDay) int { return cmp.Compare(a.Day, b.Day) })
	if len(ods) > 0 {
		vals, args := make([]string, len(ods)), make([]any, 0, 5*len(ods))
		for i, od := range ods {
			vals[i] = "(?, ?, ?, ?, ?)"
			args = append(args, od.Day, od.Status, od.N, od.TotalFee, od.RefundedFee)
		}
		err := tx.Exec("INSERT INTO order_days (day, status, n, total_fee, refunded_fee) VALUES "+strings.Join(vals, ", ")+
			" ON CONFLICT (day, status) DO UPDATE SET n = order_days.n + excluded.n,"+
			" total_fee = order_days.total_fee + excluded.total_fee,"+
			" refunded_fee = order_days.refunded_fee + excluded.refunded_fee", args...).Error
		if err != nil {
			return fmt.Errorf("count order in daily totals: %w", err)
		}
	}
	if len(pds) > 0 {
		vals, args := make([]string, len(pds)), make([]any, 0, 3*len(pds))
		for i, pd := range pds {
			vals[i] = "(?, ?, ?)"
			args = append(args, pd.Day, pd.N, pd.PaidFee)
		}
		err := tx.Exec("INSERT INTO paid_days (day, n, paid_fee) VALUES "+strings.Join(vals, ", ")+
			" ON CONFLICT (day) DO UPDATE SET n = paid_days.n + excluded.n, paid_fee = paid_days.paid_fee + excluded.paid_fee",
			args...).Error
		if err != nil {
			return fmt.Errorf("count payment in daily totals: %w", err)
		}
	}
	return nil
}

// beijingDayOf is the SQL for the Beijing calendar day of the time column
// col, as "2006-01-02", in each dialect.
func (s *Store) beijingDayOf(col string) string {
	if s.pg != nil {
		return "to_char((" + col + " AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
	}
	return "date(" + col + ", '+8 hours')"
}

// daysDone marks a database whose daily aggregates were built.
const daysDone = "schema:order_days"

// backfillDays builds the aggregates of a database from before them, once
// (the migration runs alone: before the writer starts on SQLite, under the
// migration's advisory lock on PostgreSQL).
func (s *Store) backfillDays(db *gorm.DB) error {
	var n int64
	if err := db.Table("settings").Where("key = ?", daysDone).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := s.rebuildDays(tx); err != nil {
			return err
		}
		now := time.Now().UTC()
		return tx.Exec("INSERT INTO settings (key, value, created_at, updated_at) VALUES (?, '1', ?, ?)", daysDone, now, now).Error
	})
}

// rebuildDays replaces the aggregates with a recount of the orders: one
// GROUP BY per table. On PostgreSQL the orders are locked against writes
// meanwhile (an instance of an older version may still be writing).
func (s *Store) rebuildDays(tx *gorm.DB) error {
	if s.pg != nil {
		if err := tx.Exec("LOCK TABLE orders IN SHARE MODE").Error; err != nil {
			return fmt.Errorf("lock orders for daily totals: %w", err)
		}
	}
	created, paid := s.beijingDayOf("created_at"), s.beijingDayOf("paid_at")
	for _, q := range []string{
		"DELETE FROM order_days",
		"DELETE FROM paid_days",
		"INSERT INTO order_days (day, status, n, total_fee, refunded_fee) SELECT " + created +
			", status, COUNT(*), COALESCE(SUM(total_fee), 0), COALESCE(SUM(refunded_fee), 0) FROM orders GROUP BY 1, 2",
		"INSERT INTO paid_days (day, n, paid_fee) SELECT " + paid +
			", COUNT(*), COALESCE(SUM(total_fee - refunded_fee), 0) FROM orders WHERE status IN (?, ?) AND paid_at IS NOT NULL GROUP BY 1",
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{models.StatusPaid, models.StatusRefund}
		}
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("build daily totals: %w", err)
		}
	}
	return nil
}

// dayTotals is the query of OrderTotals on order_days, and false when f
// selects what the aggregates do not hold (a search, a fulfilment state,
// or a bound that is not a Beijing midnight): a range of its primary key.
func (s *Store) dayTotals(db *gorm.DB, f models.OrderFilter) (*gorm.DB, bool) {
	f.Query = strings.TrimSpace(f.Query)
	if !f.DailyTotals() {
		return nil, false
	}
	from, _ := wholeDay(f.From)
	to, _ := wholeDay(f.To)
	q := db.Model(&orderDay{}).Select(
		"COALESCE(SUM(n), 0) AS count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN n ELSE 0 END), 0) AS paid_count, "+
			"COALESCE(SUM(CASE WHEN status IN (?, ?) THEN total_fee - refunded_fee ELSE 0 END), 0) AS paid_fee",
		models.StatusPaid, models.StatusRefund, models.StatusPaid, models.StatusRefund)
	if from != "" {
		q = q.Where("day >= ?", from)
	}
	if to != "" {
		q = q.Where("day < ?", to)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	return q, true
}

// dayChart is the query of PaidPerDay on paid_days, and false when from or
// to is not a Beijing midnight: a range of its primary key.
func (s *Store) dayChart(db *gorm.DB, from, to time.Time) (*gorm.DB, bool) {
	fromDay, okFrom := wholeDay(from)
	toDay, okTo := wholeDay(to)
	if !okFrom || !okTo {
		return nil, false
	}
	q := db.Model(&paidDay{}).Select("day, n AS count, paid_fee").Where("n <> 0")
	if fromDay != "" {
		q = q.Where("day >= ?", fromDay)
	}
	if toDay != "" {
		q = q.Where("day < ?", toDay)
	}
	return q.Order("day"), true
}
