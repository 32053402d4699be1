package store

import (
	"context"
	"database/sql"
	"sync"
)

// The writer's statements are prepared once. gorm's PrepareStmt prepares a
// statement first seen inside a transaction on that transaction alone, so
// every batch of the writer prepared its UPDATEs and INSERTs again — a
// quarter of the reconciler's CPU (BENCHMARKS.md, issue 17). stmtTx is the
// writer's transaction as gorm's connection: it prepares each statement on
// the database once and runs it in the transaction through Tx.StmtContext,
// which reuses database/sql's statement of the transaction's connection.

// maxWriterStmts bounds the cache: statements beyond it (an IN list of a
// new length, say) are prepared in their transaction, as before.
const maxWriterStmts = 512

type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

type stmtTx struct {
	*sql.Tx
	db    *sql.DB
	cache *stmtCache
}

func (t *stmtTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := t.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok {
		if len(c.m) >= maxWriterStmts {
			return t.Tx.PrepareContext(ctx, query)
		}
		var err error
		if st, err = t.db.PrepareContext(context.WithoutCancel(ctx), query); err != nil {
			return nil, err
		}
		c.m[query] = st
	}
	return t.Tx.StmtContext(ctx, st), nil
}

func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// closeStmts closes the cached statements (Close).
func (c *stmtCache) closeStmts() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}
