package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func setting(key string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error { return tx.Create(&models.Setting{Key: key, Value: "v"}).Error }
}

// slowInsert is a statement long enough to be interrupted mid-way, which
// makes SQLite roll back the whole transaction if the statement is cancelled.
const slowInsert = `INSERT INTO settings (key, value) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000000)
SELECT 'slow' || x, 'v' FROM c WHERE x % 1000000 = 0`

func runBatch(s *Store, reqs ...*writeReq) []error {
	for _, r := range reqs {
		r.done = make(chan error, 1)
	}
	s.commitBatch(reqs)
	errs := make([]error, len(reqs))
	for i, r := range reqs {
		errs[i] = <-r.done
	}
	return errs
}

// One caller's context ends while its statement runs: the batch it shares
// with strangers must commit their writes, and report them committed.
func TestBatchSurvivesCancelledCaller(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	slow := func(tx *gorm.DB) error {
		time.AfterFunc(5*time.Millisecond, cancel)
		return tx.Exec(slowInsert).Error
	}
	errs := runBatch(s,
		&writeReq{ctx: context.Background(), fn: setting("before")},
		&writeReq{ctx: ctx, fn: slow},
		&writeReq{ctx: context.Background(), fn: setting("after")})
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v, want it run to its end and committed", i, err)
		}
	}
	for _, k := range []string{"before", "after", "slow3000000"} {
		if _, err := s.Setting(context.Background(), k); err != nil {
			t.Errorf("setting %s: %v, want committed", k, err)
		}
	}
}

// A write that panics fails alone; the others in its batch commit.
func TestBatchSurvivesPanickingWrite(t *testing.T) {
	s := openTest(t)
	errs := runBatch(s,
		&writeReq{ctx: context.Background(), fn: setting("a")},
		&writeReq{ctx: context.Background(), fn: func(tx *gorm.DB) error {
			if err := setting("half")(tx); err != nil {
				return err
			}
			panic("boom")
		}},
		&writeReq{ctx: context.Background(), fn: setting("b")})
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("neighbours of a panicking write: %v, %v; want nil", errs[0], errs[2])
	}
	if errs[1] == nil {
		t.Error("panicking write reported success")
	}
	for k, want := range map[string]bool{"a": true, "b": true, "half": false} {
		_, err := s.Setting(context.Background(), k)
		if got := err == nil; got != want {
			t.Errorf("setting %s stored = %v, want %v", k, got, want)
		}
	}
	if err := s.write(context.Background(), setting("later")); err != nil {
		t.Errorf("the writer is broken after a panic: %v", err)
	}
}

// A commit that fails leaves the outcome unknown to the callers.
func TestFailedCommitIsUncertain(t *testing.T) {
	s := openTest(t)
	errs := runBatch(s, &writeReq{ctx: context.Background(), fn: func(tx *gorm.DB) error {
		// A deferred foreign key violation surfaces only at COMMIT.
		if err := tx.Exec("PRAGMA defer_foreign_keys = ON").Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO order_events (order_id, kind, ok, summary) VALUES (999, 'x', true, '')").Error
	}})
	if !errors.Is(errs[0], ErrUncertain) {
		t.Errorf("write after a failed commit = %v, want ErrUncertain", errs[0])
	}
	if err := s.write(context.Background(), setting("later")); err != nil {
		t.Errorf("the writer is broken after a failed commit: %v", err)
	}
}
