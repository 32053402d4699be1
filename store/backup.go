package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver gorm's sqlite dialect uses; registered as "sqlite3"
)

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools
// (pg_dump) make consistent copies.
var ErrBackupPostgres = errors.New("the database is PostgreSQL: back it up with pg_dump (e.g. pg_dump -Fc -f wxcheckout.dump \"$DATABASE_URL\") and restore with pg_restore")

// BackupResult is what a backup copied.
type BackupResult struct {
	Path     string
	Bytes    int64
	Orders   int64
	Duration time.Duration
}

// Backup writes a consistent copy of the SQLite database to dest while the
// store keeps running (SQLite's VACUUM INTO reads one snapshot: every write
// committed before it began, none after). See BackupFile.
func (s *Store) Backup(ctx context.Context, dest string) (BackupResult, error) {
	if s.pg != nil {
		return BackupResult{}, ErrBackupPostgres
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return BackupResult{}, err
	}
	return backup(ctx, sqlDB, dest)
}

// BackupFile copies the SQLite database at src to dest from outside the
// app that has it open (`wxcheckout backup`): it opens src without
// migrating or writing anything. The copy goes to a temporary file next to
// dest, is verified (PRAGMA integrity_check, the orders counted) and only
// then appears at dest; an existing dest is never overwritten.
func BackupFile(ctx context.Context, src, dest string) (BackupResult, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupResult{}, fmt.Errorf("database %s: %w", src, err)
	}
	// mode=rw: never create an empty database where src was expected;
	// busy_timeout: wait out the app's checkpoints instead of failing.
	db, err := sql.Open("sqlite3", "file:"+escapePath(src)+"?mode=rw&_busy_timeout=10000")
	if err != nil {
		return BackupResult{}, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return BackupResult{}, fmt.Errorf("open %s: %w", src, err)
	}
	return backup(ctx, db, dest)
}

func backup(ctx context.Context, db *sql.DB, dest string) (BackupResult, error) {
	start := time.Now()
	res := BackupResult{Path: dest}
	if dest == "" {
		return res, errors.New("no backup file named")
	}
	if _, err := os.Lstat(dest); err == nil {
		return res, fmt.Errorf("%s already exists: refusing to overwrite it; name a new file", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, err
	}
	dir := filepath.Dir(dest)
	if fi, err := os.Stat(dir); err != nil {
		return res, fmt.Errorf("backup directory: %w", err)
	} else if !fi.IsDir() {
		return res, fmt.Errorf("backup directory %s is not a directory", dir)
	}
	tmp, err := tempName(dir, filepath.Base(dest))
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp) // gone after the link below, or a half copy
	// VACUUM INTO wants a file that does not exist yet: tmp is a fresh
	// random name, and a failure leaves at most tmp behind, removed above.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return res, fmt.Errorf("VACUUM INTO %s: %w", tmp, err)
	}
	// The copy holds merchant apps' keys and admin sessions: the owner's only.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return res, err
	}
	if err := syncFile(tmp); err != nil {
		return res, err
	}
	if res.Orders, err = verifyCopy(ctx, tmp); err != nil {
		return res, fmt.Errorf("the copy does not verify (nothing written at %s): %w", dest, err)
	}
	if err := publish(tmp, dest); err != nil {
		return res, err
	}
	if fi, err := os.Stat(dest); err == nil {
		res.Bytes = fi.Size()
	}
	syncFile(dir) // the new name durable; best effort
	res.Duration = time.Since(start)
	return res, nil
}

// publish makes tmp appear at dest, atomically and never over an existing
// file: a hard link fails when dest exists. Without hard links (some
// mounted filesystems) the check before VACUUM and a rename stand in.
func publish(tmp, dest string) error {
	err := os.Link(tmp, dest)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists: refusing to overwrite it; name a new file", dest)
	}
	if _, serr := os.Lstat(dest); serr == nil {
		return fmt.Errorf("%s already exists: refusing to overwrite it; name a new file", dest)
	}
	return os.Rename(tmp, dest)
}

// verifyCopy opens the copy read-only as a database of its own and checks
// it whole; it answers the number of orders in it.
func verifyCopy(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return 0, fmt.Errorf("integrity_check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return 0, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("integrity_check: %s", strings.Join(problems, "; "))
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		return 0, fmt.Errorf("count orders: %w", err)
	}
	return n, nil
}

func tempName(dir, base string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:])), nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// escapePath keeps a file name's ? and # from being read as the URI's
// query or fragment.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}
