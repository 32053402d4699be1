package gateway

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewAppKeyIsLettersAndDigits(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, err := NewAppKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidAppKey(k) || seen[k] {
			t.Fatalf("key %q: valid %v, repeated %v", k, ValidAppKey(k), seen[k])
		}
		seen[k] = true
	}
}

// Bytes from 248 up would favour the first characters of the alphabet:
// they are dropped, not folded.
func TestNewAppKeyDropsBiasedBytes(t *testing.T) {
	src := bytes.Repeat([]byte{255, 248, 0, 61, 62, 247}, 20)
	k, err := NewAppKey(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(k); i++ {
		if !strings.ContainsRune("A9", rune(k[i])) {
			t.Fatalf("key %q has %q: a dropped byte was used", k, k[i])
		}
	}
	if k[:4] != "A9A9" {
		t.Errorf("key starts %q, want A9A9 (bytes 0, 61, 62, 247 are A, 9, A, 9)", k[:4])
	}
	if _, err := NewAppKey(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Error("a failing reader gave a key")
	}
	if _, err := NewAppKey(bytes.NewReader(bytes.Repeat([]byte{250}, 4096))); err == nil {
		t.Error("a reader of only dropped bytes gave a key")
	}
}

func TestValidAppKey(t *testing.T) {
	for _, k := range []string{"", strings.Repeat("a", 31), strings.Repeat("a", 33), strings.Repeat("a", 31) + "-",
		strings.Repeat("a", 31) + "é"[:1], strings.Repeat("字", 10) + "aa"} {
		if ValidAppKey(k) {
			t.Errorf("ValidAppKey(%q) = true", k)
		}
	}
	if !ValidAppKey("abcdefghijklmnopqrstuvwxyzABCD09") {
		t.Error("a good key refused")
	}
}

func TestParsePid(t *testing.T) {
	for _, s := range []string{"", "999", "0", "01000", "+1000", "-1000", "1000.0", " 1000", "1e3", "99999999999999999999"} {
		if n, err := ParsePid(s); !errors.Is(err, ErrBadPid) {
			t.Errorf("ParsePid(%q) = %d, %v; want ErrBadPid", s, n, err)
		}
	}
	for s, want := range map[string]int64{"1000": 1000, "1001": 1001, "123456789012345678": 123456789012345678} {
		if n, err := ParsePid(s); err != nil || n != want {
			t.Errorf("ParsePid(%q) = %d, %v", s, n, err)
		}
	}
}
