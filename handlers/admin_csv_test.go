package handlers_test

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
)

// readExportCSV parses an exported file (BOM, header, rows) and checks that
// its last line is the complete trailer counting the rows.
func readExportCSV(tb testing.TB, body string) [][]string {
	tb.Helper()
	text, ok := strings.CutPrefix(body, "\uFEFF")
	if !ok {
		tb.Fatalf("no UTF-8 BOM: %q", body[:min(10, len(body))])
	}
	rd := csv.NewReader(strings.NewReader(text))
	rd.Comment = '#'
	recs, err := rd.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	n := len(recs) - 1
	if want := fmt.Sprintf("# 共 %d 行，导出完整 / %d rows; export complete", n, n); lines[len(lines)-1] != want {
		tb.Fatalf("last line %q, want %q", lines[len(lines)-1], want)
	}
	return recs
}
