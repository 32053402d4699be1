package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

const (
	appKeyA = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"
	appKeyB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2"
)

func TestAppsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	if apps, err := st.Apps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("apps of a new database = %v, %v", apps, err)
	}
	before := time.Now().Add(-time.Second)
	a, err := st.CreateApp(ctx, "独角数卡", appKeyA)
	must(t, err)
	b, err := st.CreateApp(ctx, "v2board", appKeyB)
	must(t, err)
	if a.Pid != 1000 || b.Pid != 1001 || !a.Enabled || a.Key != appKeyA || a.Name != "独角数卡" {
		t.Fatalf("created %+v and %+v, want pids 1000 and 1001, enabled, as given", *a, *b)
	}
	got, err := st.AppByPid(ctx, 1000)
	must(t, err)
	if got.Key != appKeyA || got.Name != "独角数卡" || !got.Enabled || got.CreatedAt.Before(before) {
		t.Errorf("read back %+v", *got)
	}
	if _, err := st.AppByPid(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown pid: %v, want ErrNotFound", err)
	}

	r, err := st.SetAppKey(ctx, 1001, appKeyA)
	must(t, err)
	if r.Key != appKeyA || r.Pid != 1001 {
		t.Errorf("after SetAppKey: %+v", *r)
	}
	d, err := st.SetAppEnabled(ctx, 1000, false)
	must(t, err)
	if d.Enabled {
		t.Error("SetAppEnabled(false) left it enabled")
	}
	if got, _ := st.AppByPid(ctx, 1000); got.Enabled {
		t.Error("disabled app reads back enabled")
	}
	if _, err := st.SetAppKey(ctx, 4242, appKeyB); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAppKey of an unknown pid: %v, want ErrNotFound", err)
	}
	if _, err := st.SetAppEnabled(ctx, 4242, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAppEnabled of an unknown pid: %v, want ErrNotFound", err)
	}
	apps, err := st.Apps(ctx)
	must(t, err)
	if len(apps) != 2 || apps[0].Pid != 1000 || apps[1].Pid != 1001 {
		t.Errorf("Apps = %+v", apps)
	}
}

func TestEnsureAppCreatesOrReplacesTheKey(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	a, created, err := st.EnsureApp(ctx, 2000, appKeyA, "env")
	must(t, err)
	if !created || a.Pid != 2000 || a.Key != appKeyA || !a.Enabled {
		t.Fatalf("EnsureApp on an empty database: %+v created=%v", *a, created)
	}
	// The next created app follows the largest pid.
	n, err := st.CreateApp(ctx, "next", appKeyB)
	must(t, err)
	if n.Pid != 2001 {
		t.Errorf("pid after 2000 = %d", n.Pid)
	}
	_, err = st.SetAppEnabled(ctx, 2000, false)
	must(t, err)
	a, created, err = st.EnsureApp(ctx, 2000, appKeyB, "another name")
	must(t, err)
	got, err := st.AppByPid(ctx, 2000)
	must(t, err)
	if created || a.Key != appKeyB || got.Key != appKeyB || !got.Enabled || got.Name != "env" {
		t.Errorf("EnsureApp of an existing app: returned %+v created=%v, stored %+v; want the new key, enabled, name kept",
			*a, created, *got)
	}
	apps, err := st.Apps(ctx)
	must(t, err)
	if len(apps) != 2 {
		t.Errorf("%d apps, want 2", len(apps))
	}
}

// Two instances on one database creating apps at once never share a pid.
func TestConcurrentAppsGetDistinctPids(t *testing.T) {
	ctx := context.Background()
	dbURL := testrig.DatabaseURL(t)
	var stores []*store.Store
	for range 2 {
		s, err := store.OpenURL(dbURL)
		must(t, err)
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	const each = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		pids []int64
		errs []error
	)
	for i, s := range stores {
		for j := range each {
			wg.Go(func() {
				a, err := s.CreateApp(ctx, fmt.Sprintf("app %d/%d", i, j), appKeyA)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				pids = append(pids, a.Pid)
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent creates failed: %v", errs)
	}
	slices.Sort(pids)
	for i, p := range pids {
		if p != models.FirstAppPid+int64(i) {
			t.Fatalf("pids = %v, want %d..%d", pids, models.FirstAppPid, models.FirstAppPid+2*each-1)
		}
	}
}
