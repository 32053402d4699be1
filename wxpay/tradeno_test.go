package wxpay_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

func TestNewOutTradeNo(t *testing.T) {
	start := time.Date(2024, 12, 31, 16, 59, 59, 999_000_000, time.UTC) // 00:59:59.999 on Jan 1 in Beijing
	prev := ""
	seen := make(map[string]bool, 100_000)
	for i := range 100_000 {
		no, err := wxpay.NewOutTradeNo(start.Add(time.Duration(i)*time.Microsecond), nil)
		if err != nil {
			t.Fatalf("NewOutTradeNo: %v", err)
		}
		if len(no) != 28 || !wxpay.ValidOutTradeNo(no) {
			t.Fatalf("NewOutTradeNo = %q: want 28 valid characters", no)
		}
		if no <= prev {
			t.Fatalf("NewOutTradeNo not time-ordered: %q after %q", no, prev)
		}
		if seen[no] {
			t.Fatalf("NewOutTradeNo repeated %q", no)
		}
		seen[no] = true
		prev = no
	}
	first, _ := wxpay.NewOutTradeNo(start, nil)
	if !strings.HasPrefix(first, "20250101005959999000") {
		t.Errorf("NewOutTradeNo(%v) = %q, want Beijing time prefix 20250101005959999000", start, first)
	}
}

func TestNewOutTradeNoSameInstant(t *testing.T) {
	now := time.Now()
	seen := make(map[string]bool)
	for range 100_000 {
		no, err := wxpay.NewOutTradeNo(now, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if seen[no] {
			t.Fatalf("NewOutTradeNo repeated %q at one instant", no)
		}
		seen[no] = true
	}
}

func TestNewOutTradeNoDeterministic(t *testing.T) {
	now := time.Date(2024, 5, 1, 4, 0, 0, 123456789, time.UTC)
	seed := bytes.Repeat([]byte{0, 1, 61, 62, 247, 248, 255, 10}, 64)
	a, err := wxpay.NewOutTradeNo(now, bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := wxpay.NewOutTradeNo(now, bytes.NewReader(seed))
	// 0→'0', 1→'1', 61→'z', 62→'0', 247→247%62=61→'z', 248 and 255 skipped, 10→'A'
	want := "20240501120000123456" + "01z0zA01"
	if a != want || b != want {
		t.Errorf("NewOutTradeNo with fixed reader = %q, %q; want %q", a, b, want)
	}
	if _, err := wxpay.NewOutTradeNo(now, iotest{}); err == nil {
		t.Error("NewOutTradeNo with a failing reader = nil error")
	}
}

type iotest struct{}

func (iotest) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

var _ io.Reader = iotest{}

func TestNewNonce(t *testing.T) {
	a, b := wxpay.NewNonce(), wxpay.NewNonce()
	if len(a) != 32 || a == b || !wxpay.ValidOutTradeNo(a) {
		t.Errorf("NewNonce = %q, %q: want two different 32-character alphanumeric strings", a, b)
	}
}

func TestValidOutTradeNo(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"123456", true},
		{"12345", false},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"Ab_-|*09", true},
		{"abc def", false},
		{"abcdef!", false},
		{"abcdef.", false},
		{"订单号123456", false},
		{"abc\x00def", false},
		{"20240501123456000000Ab3dE5fG", true},
	}
	for _, tt := range tests {
		if got := wxpay.ValidOutTradeNo(tt.s); got != tt.want {
			t.Errorf("ValidOutTradeNo(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
