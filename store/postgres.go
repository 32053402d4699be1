package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"wxcheckout/models"
)

// postgresDB is what differs on PostgreSQL, where several app instances
// share one database: every write is its own transaction (no in-process
// writer can serialize other processes), rows a transition reads are locked
// FOR UPDATE, and start-up steps take advisory locks.
type postgresDB struct {
	url string // for the LISTEN connection; never logged
	log *slog.Logger
}

// Advisory lock keys: one per start-up step that instances must not race.
const (
	lockMigrate int64 = 0x77786d6967726174 // "wxmigrat"
	lockSeed    int64 = 0x7778736565640000 // "wxseed"
	lockApps    int64 = 0x7778617070730000 // "wxapps": pids of merchant apps
)

func openPostgres(databaseURL string) (*Store, error) {
	db, err := gorm.Open(postgres.Open(databaseURL), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if err := registerUTC(db); err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	s := &Store{db: db, pg: &postgresDB{url: databaseURL}, stop: make(chan struct{}), loopDone: make(chan struct{})}
	close(s.loopDone)
	if err := s.migrate(); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// migrate runs the migrations, then then (data migrations), under an
// advisory lock held on one connection, so instances starting together migrate one after the other
// instead of failing with "relation already exists".
func (p *postgresDB) migrate(db *gorm.DB, then func(*gorm.DB) error, tables ...any) error {
	return db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SELECT pg_advisory_lock(?)", lockMigrate).Error; err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", lockMigrate)
		if err := conn.AutoMigrate(tables...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := then(conn); err != nil {
			return fmt.Errorf("migrate: daily totals: %w", err)
		}
		return nil
	})
}

// serialize makes the rest of the transaction tx run alone across
// instances (a transaction-scoped advisory lock); nothing on SQLite, whose
// one writer serializes already.
func (p *postgresDB) serialize(tx *gorm.DB, key int64) error {
	if p == nil {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", key).Error; err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	return nil
}

// forUpdate locks the rows a query reads until the transaction ends, so
// that a transition decided from them cannot race another instance's.
// SQLite's one writer makes it unnecessary there (and SQLite has no FOR
// UPDATE).
func (s *Store) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.pg == nil {
		return tx
	}
	return tx.Clauses(clause.Locking{Strength: "UPDATE"})
}

// writeDirect runs fn in a transaction of its own (PostgreSQL). As on
// SQLite, a write once started runs to its end whatever its caller's
// context does, a panic fails only that write, and a failed COMMIT is
// reported as ErrUncertain.
func (s *Store) writeDirect(ctx context.Context, fn func(tx *gorm.DB) error) error {
	select {
	case <-s.stop:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := s.db.WithContext(context.WithoutCancel(ctx)).Begin()
	if tx.Error != nil {
		return fmt.Errorf("begin: %w", tx.Error)
	}
	if err := runRecovered(tx, fn); err != nil {
		if rerr := tx.Rollback().Error; rerr != nil && !errors.Is(rerr, gorm.ErrInvalidTransaction) {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit().Error; err != nil {
		return fmt.Errorf("%w: %w", ErrUncertain, err)
	}
	return nil
}

// ordersChannel is where a committed change of an order's status is
// announced to every instance (LISTEN/NOTIFY): a wake-up only — the
// listeners read the order from the database.
const ordersChannel = "wxcheckout_orders"

// notifyChanged announces, when tx commits, that the order changed; the
// notification is part of the transaction, so it is sent only if the
// change is. Nothing on SQLite, where one process owns the database.
func (p *postgresDB) notifyChanged(tx *gorm.DB, outTradeNo string) error {
	if p == nil {
		return nil
	}
	if err := tx.Exec("SELECT pg_notify(?, ?)", ordersChannel, outTradeNo).Error; err != nil {
		return fmt.Errorf("notify change of %s: %w", outTradeNo, err)
	}
	return nil
}

// ListenOrders calls changed with the out_trade_no of every order whose
// status another instance (or this one) commits, until ctx ends;
// reconnecting after a lost connection. On SQLite, where one process owns
// the database, it returns at once.
func (s *Store) ListenOrders(ctx context.Context, changed func(outTradeNo string)) {
	if s.pg == nil {
		return
	}
	for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, 30*time.Second) {
		start := time.Now()
		if err := s.pg.listen(ctx, changed); err != nil && ctx.Err() == nil {
			s.logListenError(err)
		}
		if time.Since(start) > time.Minute {
			wait = time.Second // it had been working: retry soon
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

func (p *postgresDB) listen(ctx context.Context, changed func(string)) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return fmt.Errorf("listen: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+ordersChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		changed(n.Payload)
	}
}

// OrdersChangedSince returns the orders that left NOTPAY since t (by
// updated_at): the periodic check that catches a missed notification.
func (s *Store) OrdersChangedSince(ctx context.Context, t time.Time, limit int) ([]models.Order, error) {
	var os []models.Order
	err := s.db.WithContext(ctx).Where("updated_at >= ? AND status <> ?", t.UTC(), models.StatusNotPay).
		Order("updated_at").Limit(limit).Find(&os).Error
	if err != nil {
		return nil, fmt.Errorf("orders changed since %v: %w", t, err)
	}
	return os, nil
}

// Shared reports whether several instances may share the database.
func (s *Store) Shared() bool { return s.pg != nil }

func (s *Store) logListenError(err error) {
	if s.pg.log != nil {
		s.pg.log.Warn("listening for other instances' changes", "err", err)
	}
}

// SetLogger names where the store reports trouble it recovers from by
// itself (a lost LISTEN connection).
func (s *Store) SetLogger(l *slog.Logger) {
	if s.pg != nil {
		s.pg.log = l
	}
}
