package testrig

import (
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// CountRows counts a table's rows straight from the rig's database, for
// tests that must see what was stored, not what the store shows.
func (r *Rig) CountRows(tb testing.TB, table string) int64 {
	tb.Helper()
	db := openDatabase(tb, r.DatabaseURL)
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
