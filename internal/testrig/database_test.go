package testrig

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"
)

// Each test gets a database of its own, and on PostgreSQL it is gone after
// the test.
func TestDatabaseURLIsFreshAndDropped(t *testing.T) {
	var urls []string
	var open []*sql.DB // closed only after the drops
	defer func() {
		for _, db := range open {
			db.Close()
		}
	}()
	for range 2 {
		t.Run("test", func(t *testing.T) {
			u := DatabaseURL(t)
			urls = append(urls, u)
			if !UsesPostgres() {
				if !strings.HasPrefix(u, "sqlite:/") || !strings.HasSuffix(u, "/test.db") {
					t.Errorf("DatabaseURL = %q, want sqlite:<a temp dir>/test.db", u)
				}
				return
			}
			db := openDatabase(t, u)
			open = append(open, db)
			var name string
			if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			if "/"+name != mustParse(t, u).Path || !strings.HasPrefix(name, "t_") {
				t.Errorf("connected to %q through %s", name, u)
			}
			var tables int
			if err := db.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil || tables != 0 {
				t.Errorf("a fresh database has %d tables (%v), want none", tables, err)
			}
			// The connection stays open: it must not stop the drop.
			if _, err := db.Exec("CREATE TABLE left_open (id int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(urls) != 2 || urls[0] == urls[1] {
		t.Fatalf("DatabaseURL gave %q, want two different databases", urls)
	}
	if !UsesPostgres() {
		return
	}
	admin, err := adminDB()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		var n int
		name := strings.TrimPrefix(mustParse(t, u).Path, "/")
		if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 0 {
			t.Errorf("database %s still there after its test (%d, %v)", name, n, err)
		}
	}
}

func mustParse(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
