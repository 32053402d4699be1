package testrig

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PostgresEnv names the variable that points the tests at PostgreSQL: the
// URL of a database whose user may create databases, such as the one
// .ci/with-postgres sets. Unset, every test uses SQLite in a temp dir.
const PostgresEnv = "WXCHECKOUT_TEST_POSTGRES"

// DatabaseURL is a DATABASE_URL naming a fresh, empty database of the test's
// own: sqlite:<temp dir>/test.db, or with PostgresEnv set a new PostgreSQL
// database on that server, dropped when the test ends. Cleanups run last
// first, so whatever the test opens on it afterwards is closed before the
// drop.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		return "sqlite:" + filepath.Join(tb.TempDir(), "test.db")
	}
	return freshPostgres(tb, admin)
}

// UsesPostgres reports whether the tests run against PostgreSQL.
func UsesPostgres() bool { return os.Getenv(PostgresEnv) != "" }

// adminDB is one pool to the admin URL for all the tests of a process.
var adminDB = sync.OnceValues(func() (*sql.DB, error) {
	db, err := sql.Open("pgx", os.Getenv(PostgresEnv))
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(2)
	return db, nil
})

func freshPostgres(tb testing.TB, admin string) string {
	tb.Helper()
	// A typo in the variable fails every test instead of quietly testing
	// SQLite or another server.
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s: want a postgres:// URL", PostgresEnv)
	}
	db, err := adminDB()
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	// Random, not the test's name: names are 63 bytes at most, and a
	// package's tests run in parallel with other packages' on one server.
	b := make([]byte, 8)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s on %s: %v", name, u.Redacted(), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a test that failed half-way may have left connections open.
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// openDatabase opens a DATABASE_URL with database/sql, for tests that must
// see what was stored, not what the store shows.
func openDatabase(tb testing.TB, databaseURL string) *sql.DB {
	tb.Helper()
	driver, dsn := "pgx", databaseURL
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		driver, dsn = "sqlite3", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// redact hides the password of a postgres:// URL.
func redact(databaseURL string) string {
	if u, err := url.Parse(databaseURL); err == nil && u.Scheme != "sqlite" {
		return u.Redacted()
	}
	return databaseURL
}
