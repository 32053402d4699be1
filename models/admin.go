package models

import "time"

// Setting is one named value the app keeps for itself, such as the bcrypt
// hash of a generated admin password.
type Setting struct {
	Key       string `gorm:"primaryKey;size:64"`
	Value     string `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AdminSession is a signed-in admin. Only a hash of the session id is kept,
// so a copy of the database cannot be used to sign in.
type AdminSession struct {
	ID         uint   `gorm:"primaryKey"`
	IDHash     string `gorm:"size:64;uniqueIndex;not null"` // hex sha256 of the cookie value
	ClientIP   string `gorm:"size:64"`
	CreatedAt  time.Time
	LastSeenAt time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null;index"`
}

// OrderFilter selects orders in the admin console and its CSV export.
// From and To bound created_at as a half-open range [From, To); zero means
// unbounded. Query matches exactly: an order number (ours, WeChat's
// transaction_id or a merchant's out_trade_no) or, when no order has that
// number, a SKU. Older or Newer, when set, is where a page of the list
// starts (keyset pages); the export ignores them.
type OrderFilter struct {
	Status     OrderStatus
	Fulfilment Fulfilment // "" for any
	From       time.Time
	To         time.Time
	Query      string
	Older      *OrderKey // the orders listed after this one
	Newer      *OrderKey // the orders listed before this one
}

// DailyTotals reports whether the totals of f can be summed from the
// store's daily aggregates, at the cost of a few rows a day whatever the
// number of orders: no search, no fulfilment state, and any date bound a
// Beijing midnight (a day as the admin's form names it).
func (f OrderFilter) DailyTotals() bool {
	midnight := func(t time.Time) bool {
		b := t.UTC().Add(8 * time.Hour) // Beijing: no daylight saving time since 1991
		return t.IsZero() || b.Equal(b.Truncate(24*time.Hour))
	}
	return f.Query == "" && f.Fulfilment == FulfilNone && midnight(f.From) && midnight(f.To)
}

// OrderKey is an order's place in the newest-first list.
type OrderKey struct {
	CreatedAt time.Time
	ID        uint
}

// OrderTotals sum up the orders a filter selects.
type OrderTotals struct {
	Count     int64
	PaidCount int64
	PaidFee   Money
}

// DayTotal is the paid amount of one Beijing day, Day as "2006-01-02".
type DayTotal struct {
	Day     string
	Count   int64
	PaidFee Money
}

// TimelinePage is one page of an order's timeline, oldest first, with what
// the admin must notice about the whole of it.
type TimelinePage struct {
	Events []OrderEvent
	Total  int64 // entries in the whole timeline
	// Refusals counts the refused notifications kept in the timeline by
	// code; the order's RefusedNotifies counts every one received.
	Refusals map[Refusal]int64
}
