package gateway_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want models.Money // 0: refused
	}{
		{"58", 5800},
		{"9.9", 990},
		{"0.01", 1},
		{"58.00", 5800},
		{"0.1", 10},
		{"0.10", 10},
		{"1.05", 105},
		{"10", 1000},
		{"99999999.99", 9999999999},
		{"99999999", 9999999900},
		{"058", 0},
		{"00.5", 0},
		{"1.234", 0},
		{"-1", 0},
		{"+1", 0},
		{"1e3", 0},
		{" 1", 0},
		{"1 ", 0},
		{"0", 0},
		{"0.00", 0},
		{"0.0", 0},
		{".5", 0},
		{"5.", 0},
		{"", 0},
		{".", 0},
		{"1,5", 0},
		{"1..5", 0},
		{"1.5.0", 0},
		{"100000000", 0},
		{"１", 0}, // full-width digit
		{"0x10", 0},
		{"NaN", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := gateway.ParseYuan(tt.in)
			if tt.want == 0 {
				if !errors.Is(err, gateway.ErrBadMoney) {
					t.Errorf("ParseYuan(%q) = %d, %v; want ErrBadMoney", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatYuan(t *testing.T) {
	tests := []struct {
		in   models.Money
		want string
	}{
		{5800, "58.00"},
		{990, "9.90"},
		{1, "0.01"},
		{10, "0.10"},
		{9999999999, "99999999.99"},
	}
	for _, tt := range tests {
		if got := gateway.FormatYuan(tt.in); got != tt.want {
			t.Errorf("FormatYuan(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// yuanPattern is SPEC §6's rule, the oracle for the fuzz test.
var yuanPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$`)

// refFen computes fen from a string the pattern accepts by another road:
// pad the decimals to two and read the digits as one integer.
func refFen(s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole+(frac + "00")[:2], 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{
		"58", "9.9", "0.01", "58.00", "99999999.99", "058", "1.234", "-1", "1e3", " 1",
		"0", "0.00", ".5", "5.", "", "100000000", "1.", "0.001", "\x00", "９",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := gateway.ParseYuan(s)
		valid := yuanPattern.MatchString(s) && refFen(s) > 0
		if err != nil {
			if !errors.Is(err, gateway.ErrBadMoney) {
				t.Fatalf("ParseYuan(%q) error %v does not wrap ErrBadMoney", s, err)
			}
			if valid {
				t.Fatalf("ParseYuan(%q) = %v, but the pattern accepts it", s, err)
			}
			return
		}
		if !valid {
			t.Fatalf("ParseYuan(%q) = %d, but the pattern refuses it", s, m)
		}
		if m <= 0 || m >= 1e10 {
			t.Fatalf("ParseYuan(%q) = %d, outside (0, 10^10) fen", s, m)
		}
		if want := refFen(s); int64(m) != want {
			t.Fatalf("ParseYuan(%q) = %d, want %d", s, m, want)
		}
		back, err := gateway.ParseYuan(gateway.FormatYuan(m))
		if err != nil || back != m {
			t.Fatalf("ParseYuan(FormatYuan(%d)) = %d, %v; want %d", m, back, err, m)
		}
	})
}
