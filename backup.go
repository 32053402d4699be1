package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"wxcheckout/config"
	"wxcheckout/store"
)

// runBackup is `wxcheckout backup FILE`: a consistent, verified copy of
// the SQLite database of DATABASE_URL, taken while the shop runs.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("backup takes one argument, the new file to write\n%s", usage)
	}
	dbURL, err := config.LoadDatabaseURL(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	src, ok := strings.CutPrefix(dbURL, "sqlite:")
	if !ok {
		return fmt.Errorf("backup: %w", store.ErrBackupPostgres)
	}
	res, err := store.BackupFile(ctx, src, args[0])
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("backup interrupted; nothing written at %s", args[0])
		}
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %s, %d orders, integrity ok, in %v\n",
		src, res.Path, byteSize(res.Bytes), res.Orders, res.Duration.Round(1e6))
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
