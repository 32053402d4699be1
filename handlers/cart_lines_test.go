package handlers

import (
	"fmt"
	"testing"

	"wxcheckout/checkout"
)

func TestEditLinesAndCookieRoundTrip(t *testing.T) {
	var lines []checkout.Line
	for i := range checkout.MaxCartLines {
		var key string
		lines, key = editLines(lines, "add", fmt.Sprintf("P%d", i), 1)
		if key != "" {
			t.Fatalf("add %d: %s", i, key)
		}
	}
	if _, key := editLines(lines, "add", "ONE-TOO-MANY", 1); key != "cart_full" {
		t.Errorf("adding a 21st product: %q, want cart_full", key)
	}
	if got, key := editLines(lines, "add", "P0", maxQty); key != "" || got[0].Quantity != maxQty {
		t.Errorf("adding past the most: %d, want capped at %d", got[0].Quantity, maxQty)
	}
	if _, key := editLines(lines, "nuke", "P0", 1); key != msgBadRequest {
		t.Errorf("unknown action: %q", key)
	}
	if back := parseCart(formatCart(lines)); len(back) != len(lines) || back[5] != lines[5] {
		t.Errorf("cookie round trip: %v", back)
	}
	if parseCart(formatCart(lines)+",EXTRA:1") != nil {
		t.Error("a cookie of more than MaxCartLines lines was taken")
	}
}
