package config

import (
	"strings"
	"testing"
	"time"
)

func TestRawBodyRetention(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		bad  bool
	}{
		{"", 720 * time.Hour, false},
		{"0", 0, false},
		{"48h", 48 * time.Hour, false},
		{"2160h", 2160 * time.Hour, false},
		{"30d", 0, true},
		{"-1h", 0, true},
		{"5m", 0, true},
		{"forever", 0, true},
	} {
		c, err := Load(func(k string) string {
			if k == "RAW_BODY_RETENTION" {
				return tc.v
			}
			return ""
		})
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "RAW_BODY_RETENTION") {
				t.Errorf("%q: err = %v, want one naming RAW_BODY_RETENTION", tc.v, err)
			}
			continue
		}
		if err != nil || c.RawBodyRetention != tc.want {
			t.Errorf("%q: RawBodyRetention = %v (%v), want %v", tc.v, c.RawBodyRetention, err, tc.want)
		}
	}
}
