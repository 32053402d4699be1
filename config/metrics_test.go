package config

import (
	"strings"
	"testing"
)

func TestMetricsToken(t *testing.T) {
	good := "0123456789abcdef-_~.+/="
	for _, tt := range []struct{ in, want, err string }{
		{"", "", ""},
		{good, good, ""},
		{"short", "", "at least 16"},
		{"0123456789abcdef ghi", "", "printable ASCII"},
		{"0123456789abcdef\tghi", "", "printable ASCII"},
		{"0123456789abcdef令牌", "", "printable ASCII"},
	} {
		got, err := loadMetricsToken(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%q: %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "METRICS_TOKEN")):
			t.Errorf("%q: error %v, want one naming METRICS_TOKEN and saying %q", tt.in, err, tt.err)
		}
	}
}
