package wxpay_test

import (
	"runtime"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

// entityHeavyBody is the largest accepted message whose one field is ref
// repeated: the worst case for a decoder that does per-reference work.
func entityHeavyBody(ref string) []byte {
	const frame = len("<xml><a></a></xml>")
	n := (wxpay.MaxBodySize - frame) / len(ref)
	return []byte("<xml><a>" + strings.Repeat(ref, n) + "</a></xml>")
}

// bytesPerRun is testing.AllocsPerRun for bytes: the average heap bytes f
// allocates, on one P so that nothing else runs in between.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestDecodeEntityHeavyCost pins the decoder's single pass: a value full of
// references is decoded into one buffer sized once, so the cost does not
// grow with the number of references. Decoding each reference on its own
// (a string per character reference, a buffer regrown as it fills) went
// with rescanning the rest of the body after every reference, which made
// 64 KiB of "&lt;" take quadratic time (see BenchmarkDecodeEntityHeavy).
func TestDecodeEntityHeavyCost(t *testing.T) {
	tests := []struct{ name, ref, want string }{
		{"lt", "&lt;", "<"},
		{"amp after text", "a&amp;", "a&"},
		{"decimal char ref", "&#60;", "<"},
		{"hex char ref", "&#x4e2d;", "中"},
	}
	const (
		maxAllocs = 10 // the body's copy, the map, the one value buffer; never per reference
		maxRatio  = 2  // bytes allocated per byte of body
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := entityHeavyBody(tt.ref)
			p, err := wxpay.Decode(body)
			if err != nil {
				t.Fatalf("Decode of %d bytes: %v", len(body), err)
			}
			if want := strings.Repeat(tt.want, (len(body)-18)/len(tt.ref)); p["a"] != want {
				t.Fatalf("decoded %d bytes, want %d", len(p["a"]), len(want))
			}
			decode := func() { _, _ = wxpay.Decode(body) }
			if got := testing.AllocsPerRun(20, decode); got > maxAllocs {
				t.Errorf("allocations per Decode = %v, want ≤ %d", got, maxAllocs)
			}
			if got := bytesPerRun(20, decode); got > maxRatio*uint64(len(body)) {
				t.Errorf("bytes allocated per Decode = %d, want ≤ %d (%d× the %d-byte body)",
					got, maxRatio*len(body), maxRatio, len(body))
			}
		})
	}
}
