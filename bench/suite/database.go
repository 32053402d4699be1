package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// postgresEnv is the admin URL .ci/with-postgres sets (see internal/testrig).
const postgresEnv = "WXCHECKOUT_TEST_POSTGRES"

// database is the suite's fresh database: a file in the temp dir, or a
// PostgreSQL database of its own on the admin URL's server, dropped by drop.
type database struct {
	url  string // the shop's DATABASE_URL
	note string // what the table says about it
	// durable: a commit is on disk when acknowledged (SQLite's
	// synchronous=FULL; PostgreSQL with fsync and synchronous_commit on).
	durable bool
	drop    func() error
}

func newDatabase(ctx context.Context, c config, dir string) (*database, error) {
	if c.database == "sqlite" {
		return &database{url: "sqlite:" + filepath.Join(dir, "suite.db"), note: "SQLite, synchronous=FULL", durable: true,
			drop: func() error { return nil }}, nil
	}
	admin := c.postgresURL
	if admin == "" {
		admin = os.Getenv(postgresEnv)
	}
	u, err := url.Parse(admin)
	if admin == "" || err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-database postgres: want a postgres:// admin URL in -postgres-url or %s (.ci/with-postgres sets it)", postgresEnv)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "bench_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return nil, fmt.Errorf("create database %s on %s: %w", name, u.Redacted(), err)
	}
	// Say how durable a commit is: the test cluster runs without fsync.
	var version, fsync, syncCommit string
	for q, v := range map[string]*string{"SHOW server_version": &version, "SHOW fsync": &fsync, "SHOW synchronous_commit": &syncCommit} {
		if err := db.QueryRowContext(ctx, q).Scan(v); err != nil {
			*v = "?"
		}
	}
	u.Path = "/" + name
	d := &database{url: u.String(),
		note:    fmt.Sprintf("PostgreSQL %s, fsync=%s, synchronous_commit=%s", version, fsync, syncCommit),
		durable: fsync == "on" && syncCommit != "off"}
	d.drop = func() error {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return d, nil
}
