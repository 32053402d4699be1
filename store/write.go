package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store closed")

// ErrUncertain is returned when a batch's COMMIT failed: the write may or may
// not be in the database, so callers must read it back before relying on
// either outcome.
var ErrUncertain = errors.New("commit outcome unknown")

// maxBatch bounds how many callers' writes share one transaction.
const maxBatch = 128

// writeReq is one caller's write, waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

// write runs fn inside a write transaction and returns once that transaction
// has committed durably (or failed).
//
// Group commit: SQLite has one writer, and with synchronous=FULL every commit
// waits for the disk. So one goroutine does all the writing: it takes every
// write queued while the previous commit was on its way to disk and runs them
// in one transaction, each under its own SAVEPOINT, so that one caller's
// error rolls back only its own work. N concurrent payments cost one fsync,
// not N, and no writer ever sleeps in SQLite's busy handler.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.pg != nil {
		return s.writeDirect(ctx, fn)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writeq <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return ErrClosed
	}
	// Once taken, the write is part of a batch: wait for its outcome even if
	// ctx ends, so that the caller never reports failure for a commit.
	return <-req.done
}

// writeLoop is the one writer; it returns when stop is closed.
func (s *Store) writeLoop() {
	defer close(s.loopDone)
	for {
		var batch []*writeReq
		select {
		case r := <-s.writeq:
			batch = append(batch, r)
		case <-s.stop:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writeq:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*writeReq) {
	results := make([]error, len(batch))
	tx, err := s.beginWrite() // BEGIN IMMEDIATE (_txlock=immediate)
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	for i, r := range batch {
		results[i] = runSaved(tx, r)
	}
	if err := tx.Commit().Error; err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = fmt.Errorf("%w: %w", ErrUncertain, err)
			}
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// runSaved runs one caller's write under a savepoint of the batch.
//
// Once taken from the queue a write runs to its end, whatever its caller's
// context does: cancelling a statement makes SQLite interrupt it, and an
// interrupted write rolls back the whole transaction — the other callers'
// payments included. A panic fails only its own write.
func runSaved(tx *gorm.DB, r *writeReq) error {
	if err := tx.Exec("SAVEPOINT w").Error; err != nil {
		return err
	}
	err := runRecovered(tx.WithContext(context.WithoutCancel(r.ctx)), r.fn)
	if err != nil {
		if rerr := tx.Exec("ROLLBACK TO w").Error; rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if rerr := tx.Exec("RELEASE w").Error; rerr != nil && err == nil {
		return rerr
	}
	return err
}

func runRecovered(tx *gorm.DB, fn func(tx *gorm.DB) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// beginWrite begins the writer's transaction with its prepared statements
// (writestmt.go).
func (s *Store) beginWrite() (*gorm.DB, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	sqlTx, err := sqlDB.Begin()
	if err != nil {
		return nil, err
	}
	tx := s.db.Session(&gorm.Session{Context: context.Background(), NewDB: true})
	tx.Statement.ConnPool = &stmtTx{Tx: sqlTx, db: sqlDB, cache: s.wstmts}
	return tx, nil
}
