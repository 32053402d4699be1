package models

import (
	"testing"
	"time"
)

func TestOrderFilterDailyTotals(t *testing.T) {
	bj := time.FixedZone("CST", 8*3600)
	midnight := time.Date(2026, 11, 21, 0, 0, 0, 0, bj)
	for _, c := range []struct {
		f    OrderFilter
		want bool
	}{
		{OrderFilter{}, true},
		{OrderFilter{Status: StatusPaid, From: midnight, To: midnight.AddDate(0, 0, 7)}, true},
		{OrderFilter{From: midnight.UTC()}, true},                                 // the same instant in UTC: 16:00 the day before
		{OrderFilter{From: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}, false}, // 08:00 in Beijing
		{OrderFilter{To: midnight.Add(time.Nanosecond)}, false},
		{OrderFilter{Query: "COFFEE"}, false},
		{OrderFilter{Fulfilment: FulfilToShip}, false},
	} {
		if got := c.f.DailyTotals(); got != c.want {
			t.Errorf("%+v: DailyTotals %v, want %v", c.f, got, c.want)
		}
	}
}
