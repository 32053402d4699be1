package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
)

// `wxcheckout backup FILE` copies the database of a running shop (from a
// connection of its own, as another process would); the copy restores: a
// shop started on it has the order, paid. A second backup to the same file
// is refused and leaves it alone.
func TestBackupCommandAndRestore(t *testing.T) {
	dir := t.TempDir()
	live := "sqlite:" + filepath.Join(dir, "live.db")
	a, stop := launchApp(t, map[string]string{"DATABASE_URL": live})
	o := buyOverHTTP(t, a, "COFFEE-250")
	must(t, a.sim.Pay(o.CodeURL))
	waitPaid(t, a, o.Token)
	dest := filepath.Join(dir, "backup.db")
	env := func(k string) string { return map[string]string{"DATABASE_URL": live}[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup", dest}, env, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 orders") || !strings.Contains(out.String(), "integrity ok") {
		t.Errorf("backup said %q", out.String())
	}
	before, _ := os.ReadFile(dest)
	if err := run(context.Background(), []string{"backup", dest}, env, &out); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("second backup to %s: %v", dest, err)
	}
	if after, _ := os.ReadFile(dest); !bytes.Equal(before, after) {
		t.Error("the refused backup changed the file")
	}
	must(t, stop())

	// Restore: the shop stopped, the copy put in place, the shop started.
	restored := filepath.Join(dir, "restored.db")
	b, err := os.ReadFile(dest)
	must(t, err)
	must(t, os.WriteFile(restored, b, 0o600))
	a2, stop2 := launchApp(t, map[string]string{"DATABASE_URL": "sqlite:" + restored})
	defer stop2()
	got, err := a2.svc.OrderByToken(context.Background(), o.Token)
	if err != nil || got.Status != models.StatusPaid || got.OutTradeNo != o.OutTradeNo {
		t.Errorf("restored order: %+v, %v", got, err)
	}
}

func TestBackupCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(t.TempDir(), "empty.db") // an empty file is an empty SQLite database
	must(t, os.WriteFile(empty, nil, 0o600))
	for _, c := range []struct {
		name string
		args []string
		db   string
		want string
	}{
		{"postgres", []string{"backup", filepath.Join(dir, "b.db")}, "postgres://shop:secret@db:5432/shop", "pg_dump"},
		{"no file", []string{"backup"}, "", "one argument"},
		{"two files", []string{"backup", "a", "b"}, "", "one argument"},
		{"missing database", []string{"backup", filepath.Join(dir, "c.db")}, "sqlite:" + filepath.Join(dir, "none.db"), "none.db"},
		{"no such directory", []string{"backup", filepath.Join(dir, "nodir", "e.db")}, "sqlite:" + empty, "nodir"},
		{"bad DATABASE_URL", []string{"backup", filepath.Join(dir, "d.db")}, "mysql://x", "DATABASE_URL"},
	} {
		err := run(context.Background(), c.args, func(k string) string {
			return map[string]string{"DATABASE_URL": c.db}[k]
		}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the password is in the error: %v", c.name, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused backups wrote %v", entries)
	}
}

// The container's HEALTHCHECK: 0 against a running shop (by URL, and by
// ADDR as the container sets it), an error against a dead port.
func TestHealthcheckCommand(t *testing.T) {
	a, stop := launchApp(t, nil)
	defer stop()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", a.URL()}, func(string) string { return "" }, &out); err != nil {
		t.Errorf("healthcheck %s: %v", a.URL(), err)
	}
	_, port, _ := net.SplitHostPort(a.ln.Addr().String())
	addrEnv := func(k string) string { return map[string]string{"ADDR": ":" + port}[k] }
	if err := run(context.Background(), []string{"healthcheck"}, addrEnv, &out); err != nil {
		t.Errorf("healthcheck with ADDR=:%s: %v", port, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if err := run(context.Background(), []string{"healthcheck", dead}, func(string) string { return "" }, &out); err == nil {
		t.Errorf("healthcheck of the dead %s succeeded", dead)
	}
	if err := run(context.Background(), []string{"healthcheck", "ftp://x"}, func(string) string { return "" }, &out); err == nil {
		t.Error("healthcheck of ftp://x succeeded")
	}
}

func waitPaid(t *testing.T, a *app, token string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := a.svc.OrderByToken(context.Background(), token)
		must(t, err)
		if got.Status == models.StatusPaid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("not paid within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
