package config

import (
	"fmt"
	"time"
)

// Retention is how long the timeline keeps what it does not need forever.
type Retention struct {
	// RawBodyRetention (RAW_BODY_RETENTION, default 720h = 30 days) is how
	// long the raw request and reply of a routine call (unifiedorder,
	// orderquery, closeorder, a merchant notification) are kept; after it a
	// sha256 and the sizes stay. 0 keeps them forever. Notifications from
	// WeChat and refund calls are never dropped.
	RawBodyRetention time.Duration
}

func (r *Retention) load(env func(string, string) string) error {
	v := env("RAW_BODY_RETENTION", "720h")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d > 0 && d < time.Hour) {
		return fmt.Errorf("RAW_BODY_RETENTION %q: want a duration of at least 1h such as 720h (30 days), or 0 to keep raw bodies forever", v)
	}
	r.RawBodyRetention = d
	return nil
}
