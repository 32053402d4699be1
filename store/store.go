// Package store keeps products, orders and their timelines in SQLite through
// gorm. Every gorm call in the project lives here, and gorm's errors do not
// leave it: callers see ErrNotFound or a wrapped error.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"wxcheckout/models"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the database.
type Store struct {
	db *gorm.DB
	// pg is set on PostgreSQL (postgres.go): writes run in their own
	// transactions and lock the rows they change, for several instances.
	pg *postgresDB
	// On SQLite one goroutine does every write, in batches (see write.go).
	writeq   chan *writeReq
	stop     chan struct{}
	loopDone chan struct{}
	wstmts   *stmtCache // the writer's prepared statements (writestmt.go)
}

// gormConfig is how both dialects are opened.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// Open opens (creating if needed) the SQLite database at path and migrates it.
//
// The DSN settings matter for money:
//   - WAL lets status polls read while a payment commits.
//   - synchronous=FULL makes each committed payment durable across power
//     loss, not just a process crash; NORMAL in WAL mode could lose the last
//     commits on power failure, and a lost PAID is a lost payment.
//   - busy_timeout makes a writer wait for the lock instead of failing with
//     SQLITE_BUSY, and _txlock=immediate takes the write lock at BEGIN, so
//     two transactions never deadlock upgrading read locks.
//   - foreign_keys on keeps events tied to existing orders.
func Open(path string) (*Store, error) {
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_foreign_keys=on&_txlock=immediate", path)
	db, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if err := registerUTC(db); err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	s := &Store{db: db, writeq: make(chan *writeReq), stop: make(chan struct{}), loopDone: make(chan struct{}),
		wstmts: &stmtCache{m: map[string]*sql.Stmt{}}}
	if err := s.migrate(); err != nil {
		sqlDB.Close()
		return nil, err
	}
	go s.writeLoop()
	return s, nil
}

// tables are every table the store keeps.
var tables = []any{&models.Product{}, &models.Order{}, &models.OrderEvent{}, &models.Setting{}, &models.AdminSession{}, &models.MerchantApp{}, &models.Delivery{}, &models.Refund{}, &models.WxOrder{}, &models.OrderItem{}, &models.Image{}, &simOrder{}, &orderDay{}, &paidDay{}}

// migrate brings the schema up to date; AutoMigrate only adds tables,
// columns and indexes, so existing data is kept.
func (s *Store) migrate() error {
	if s.pg != nil {
		return s.pg.migrate(s.db, func(conn *gorm.DB) error {
			if err := dropObsoleteIndexes(conn); err != nil {
				return err
			}
			return s.backfillDays(conn)
		}, tables...)
	}
	if err := s.db.AutoMigrate(tables...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := dropObsoleteIndexes(s.db); err != nil {
		return err
	}
	if err := s.normalizeStoredTimes(tables...); err != nil {
		return fmt.Errorf("migrate times to UTC: %w", err)
	}
	if err := s.backfillDays(s.db); err != nil {
		return fmt.Errorf("migrate: daily totals: %w", err)
	}
	return nil
}

// obsoleteIndexes are indexes of older versions that newer ones replace:
// each costs every write and may mislead the planner (SQLite keeps no
// statistics unless ANALYZE runs). idx_orders_created_at became
// idx_orders_created (issue 17); idx_orders_client_open on client_key
// alone became idx_orders_client_status, which CountOpenOrders reads:
// with only the old one, SQLite preferred the status index and counted a
// client's open orders by walking every unpaid order.
var obsoleteIndexes = []string{"idx_orders_created_at", "idx_orders_client_open"}

func dropObsoleteIndexes(db *gorm.DB) error {
	for _, name := range obsoleteIndexes {
		if err := db.Exec("DROP INDEX IF EXISTS " + name).Error; err != nil {
			return fmt.Errorf("migrate: drop index %s: %w", name, err)
		}
	}
	return nil
}

// Close finishes the batch being written and closes the database; later
// writes fail with ErrClosed.
func (s *Store) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.loopDone // closed at once on PostgreSQL, which has no writer loop
	if s.wstmts != nil {
		s.wstmts.closeStmts()
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.db.WithContext(ctx).Raw("SELECT 1").Scan(&n).Error
}

func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// SeedProducts inserts products when the shop has none yet. Instances
// starting together seed once: the count and the insert are one write,
// serialized across instances on PostgreSQL.
func (s *Store) SeedProducts(ctx context.Context, products []models.Product) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := s.pg.serialize(tx, lockSeed); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&models.Product{}).Count(&n).Error; err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if n > 0 {
			return nil
		}
		// A copy without IDs: gorm writes the new IDs into what it inserts,
		// and a caller's slice (a package's demo catalog) seeded again would
		// then insert explicit IDs, which PostgreSQL's sequence never sees —
		// the next product created would collide with them.
		fresh := make([]models.Product, len(products))
		for i, p := range products {
			p.ID = 0
			fresh[i] = p
		}
		if err := tx.Create(&fresh).Error; err != nil {
			return fmt.Errorf("seed products: %w", err)
		}
		return nil
	})
}

// Products lists the products on sale, in the owner's order.
func (s *Store) Products(ctx context.Context) ([]models.Product, error) {
	var ps []models.Product
	if err := s.db.WithContext(ctx).Where("active = ?", true).Order("position, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return ps, nil
}

// ProductBySKU finds a product on sale.
func (s *Store) ProductBySKU(ctx context.Context, sku string) (*models.Product, error) {
	var p models.Product
	err := s.db.WithContext(ctx).Where("sku = ? AND active = ?", sku, true).First(&p).Error
	if err != nil {
		return nil, notFound(err, "product "+sku)
	}
	return &p, nil
}

// OpenURL opens the database a DATABASE_URL names: sqlite:PATH, or
// postgres:// (postgresql://) for several instances on one PostgreSQL.
func OpenURL(databaseURL string) (*Store, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return Open(strings.TrimPrefix(databaseURL, "sqlite:"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(databaseURL)
	}
	return nil, fmt.Errorf("want sqlite:PATH or postgres://…")
}
