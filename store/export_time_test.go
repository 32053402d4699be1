package store_test

import (
	sqlite3 "github.com/mattn/go-sqlite3"
	"testing"
	"time"

	"wxcheckout/store"
)

// driverTime is the instant the driver makes of a datetime's text.
func driverTime(s string) (time.Time, bool) {
	if len(s) > 0 && s[len(s)-1] == 'Z' {
		s = s[:len(s)-1]
	}
	for _, layout := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func TestParseSQLiteTime(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 3, 4, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-22 10:03:04+00:00", at},
		{"2026-11-22 10:03:04.123456789+00:00", at.Add(123456789)},
		{"2026-11-22 10:03:04.5+00:00", at.Add(500 * time.Millisecond)},
		{"2026-11-22 18:03:04+08:00", at},
		{"2026-11-22 05:33:04-04:30", at},
		{"2026-11-22T10:03:04Z", at},
		{"2026-11-22 10:03:04", at},
		{"2026-11-22", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)},
		{"1700000000", time.Unix(1700000000, 0).UTC()},
	} {
		got, err := store.ParseSQLiteTime(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-02-30 10:00:00+00:00", "2026-11-22 24:00:00+00:00"} {
		if got, err := store.ParseSQLiteTime(bad); err == nil {
			t.Errorf("%q: %v, want an error", bad, got)
		}
	}
}

// The fast path reads what the driver reads, as the driver reads it.
func FuzzParseSQLiteTime(f *testing.F) {
	for _, s := range []string{"2026-11-22 10:03:04+00:00", "2026-11-22 10:03:04.123456789+00:00", "2026-11-22 10:03:04.1234567891+00:00",
		"2026-11-22 10:03:04,5+00:00", "2026-11-22 10:03:04+24:00", "2026-11-22 10:03:04-23:59", "0000-01-01 00:00:00+00:00",
		"2024-02-29 23:59:59.999+08:00", "2026-11-22 10:03:04.+00:00", "2026-11-22 10:03:04+0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := store.ParseSQLiteTime(s)
		want, ok := driverTime(s)
		if !ok {
			return // an integer, or text the driver makes a zero time of; ours is an error
		}
		if err != nil || !got.Equal(want) {
			t.Fatalf("%q: %v, %v; the driver reads %v", s, got, err, want)
		}
	})
}
