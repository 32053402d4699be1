package main

import (
	"bytes"
	"log/slog"
	"testing"

	"wxcheckout/config"
	"wxcheckout/internal/testrig"
)

// TestGatewayAppFromTheEnvironment starts the app twice on one database:
// GATEWAY_PID and GATEWAY_KEY create the app, and a second start with
// another key gives it that key (and enables it again). Neither key is ever
// in the log.
func TestGatewayAppFromTheEnvironment(t *testing.T) {
	const key1, key2 = "K1k1K1k1K1k1K1k1K1k1K1k1K1k1K1k1", "Z9z9Z9z9Z9z9Z9z9Z9z9Z9z9Z9z9Z9z9"
	db := testrig.DatabaseURL(t)
	var logs bytes.Buffer
	start := func(key string, check func(*app)) {
		t.Helper()
		vars := map[string]string{"ADDR": "127.0.0.1:0", "DATABASE_URL": db, "ADMIN_PASSWORD": "startup-admin-password",
			"GATEWAY_PID": "1234", "GATEWAY_KEY": key}
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		a, err := newApp(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		check(a)
	}
	start(key1, func(a *app) {
		got, err := a.store.AppByPid(t.Context(), 1234)
		if err != nil || got.Key != key1 || !got.Enabled {
			t.Fatalf("after the first start: %+v, %v; want app 1234 with GATEWAY_KEY, enabled", got, err)
		}
		if _, err := a.store.SetAppEnabled(t.Context(), 1234, false); err != nil {
			t.Fatal(err)
		}
		if created, err := a.svc.CreateApp(t.Context(), "another", "test"); err != nil || created.Pid != 1235 {
			t.Fatalf("an app created after it: %+v, %v; want pid 1235", created, err)
		}
	})
	start(key2, func(a *app) {
		got, err := a.store.AppByPid(t.Context(), 1234)
		if err != nil || got.Key != key2 || !got.Enabled || got.Name != "GATEWAY_PID" {
			t.Fatalf("after the second start: %+v, %v; want the new key, enabled again", got, err)
		}
		if apps, _ := a.store.Apps(t.Context()); len(apps) != 2 {
			t.Errorf("%d apps, want 2", len(apps))
		}
	})
	for _, k := range []string{key1, key2} {
		if bytes.Contains(logs.Bytes(), []byte(k)) {
			t.Fatalf("GATEWAY_KEY is in the log:\n%s", logs.String())
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("pid=1234")) {
		t.Errorf("the start-up log does not name the app:\n%s", logs.String())
	}
}
