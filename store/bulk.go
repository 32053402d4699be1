package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// BulkOrder is one order with the rows that hang off it, for BulkLoad:
// their OrderID is set by BulkLoad from the order's new ID.
type BulkOrder struct {
	Order   models.Order
	Items   []models.OrderItem
	Events  []models.OrderEvent
	Refunds []models.Refund
}

// bulkBatch is how many rows one multi-row INSERT carries: well under
// SQLite's 32,766 bound variables for the orders table's columns.
const bulkBatch = 400

// BulkLoad inserts orders with their items, timeline entries and refunds in
// one transaction, straight into the database, bypassing the writer and the
// checkout's rules: for benchmarks (bench/suite -grow) and imports into a
// database no shop has open. The orders' IDs are assigned by the database
// (so a PostgreSQL sequence stays right) and written back into orders.
//
// On SQLite the transaction runs on a connection of its own with
// synchronous=OFF and a large page cache, both set back afterwards: a
// crash during a load may lose the load, which is then redone; the shop's
// own writes keep synchronous=FULL. Call it with chunks of a few thousand
// orders: each call is one transaction.
func (s *Store) BulkLoad(ctx context.Context, orders []BulkOrder) error {
	if len(orders) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if s.pg == nil {
			if err := conn.Exec("PRAGMA synchronous=OFF").Error; err != nil {
				return fmt.Errorf("bulk load: %w", err)
			}
			conn.Exec("PRAGMA cache_size=-262144") // 256 MB for the random keys' indexes
			defer conn.Exec("PRAGMA cache_size=-2000")
			defer conn.Exec("PRAGMA synchronous=FULL")
		}
		return conn.Transaction(func(tx *gorm.DB) error {
			if s.pg != nil {
				if err := tx.Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
					return fmt.Errorf("bulk load: %w", err)
				}
			}
			return bulkInsert(tx.Session(&gorm.Session{SkipHooks: true}), orders)
		})
	})
}

func bulkInsert(tx *gorm.DB, orders []BulkOrder) error {
	os := make([]models.Order, len(orders))
	for i := range orders {
		os[i] = orders[i].Order
		os[i].ID, os[i].Items, os[i].Product = 0, nil, nil
	}
	if err := tx.Omit("Product", "Items").CreateInBatches(os, bulkBatch).Error; err != nil {
		return fmt.Errorf("bulk load orders: %w", err)
	}
	days := newDayDelta() // the orders count in the daily aggregates as a checkout's would
	for i := range os {
		days.add(&os[i], +1)
	}
	if err := days.write(tx); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	var items []models.OrderItem
	var events []models.OrderEvent
	var refunds []models.Refund
	for i := range orders {
		id := os[i].ID
		if id == 0 {
			return fmt.Errorf("bulk load: order %s got no id", os[i].OutTradeNo)
		}
		orders[i].Order.ID = id
		for _, it := range orders[i].Items {
			it.ID, it.OrderID = 0, id
			items = append(items, it)
		}
		for _, ev := range orders[i].Events {
			ev.ID, ev.OrderID, ev.Order = 0, &id, nil
			if ev.OutTradeNo == "" {
				ev.OutTradeNo = os[i].OutTradeNo
			}
			events = append(events, ev)
		}
		for _, r := range orders[i].Refunds {
			r.ID, r.OrderID, r.Order = 0, id, nil
			if r.OutTradeNo == "" {
				r.OutTradeNo = os[i].OutTradeNo
			}
			refunds = append(refunds, r)
		}
	}
	if len(items) > 0 {
		if err := tx.CreateInBatches(items, bulkBatch*4).Error; err != nil {
			return fmt.Errorf("bulk load items: %w", err)
		}
	}
	if len(events) > 0 {
		if err := tx.Omit("Order").CreateInBatches(events, bulkBatch*2).Error; err != nil {
			return fmt.Errorf("bulk load events: %w", err)
		}
	}
	if len(refunds) > 0 {
		if err := tx.Omit("Order").CreateInBatches(refunds, bulkBatch*2).Error; err != nil {
			return fmt.Errorf("bulk load refunds: %w", err)
		}
	}
	return nil
}

// DatabaseSize is the size in bytes of the database's pages (SQLite:
// page_count × page_size, after a checkpoint of the WAL into the file;
// PostgreSQL: pg_database_size).
func (s *Store) DatabaseSize(ctx context.Context) (int64, error) {
	var n int64
	db := s.db.WithContext(ctx)
	if s.pg != nil {
		err := db.Raw("SELECT pg_database_size(current_database())").Scan(&n).Error
		return n, err
	}
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	err := db.Raw("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n).Error
	return n, err
}
