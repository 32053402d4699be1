package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// simOrder is a row of the built-in simulator's own table: the state of one
// order at the simulated WeChat Pay, so that the simulator answers for its
// orders after the app restarts. The state is the simulator's JSON, opaque
// here; the shop's own tables never refer to it.
type simOrder struct {
	OutTradeNo string    `gorm:"primaryKey;size:32"`
	Version    int64     `gorm:"not null"`
	State      string    `gorm:"type:text;not null"`
	UpdatedAt  time.Time `gorm:"not null"` // UTC, set by the store's NowFunc
}

func (simOrder) TableName() string { return "sim_orders" }

// LoadSimOrders returns the state of every order the built-in simulator
// keeps (wxpaysim.StateStore).
func (s *Store) LoadSimOrders(ctx context.Context) ([][]byte, error) {
	var rows []simOrder
	if err := s.db.WithContext(ctx).Order("out_trade_no").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load simulator orders: %w", err)
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		out[i] = []byte(r.State)
	}
	return out, nil
}

// SaveSimOrder stores one simulator order's state. The simulator saves
// outside its own lock, so saves of one order may arrive out of order: the
// row is written only if version is newer than the one it holds.
func (s *Store) SaveSimOrder(ctx context.Context, outTradeNo string, version int64, state []byte) error {
	row := simOrder{OutTradeNo: outTradeNo, Version: version, State: string(state)}
	return s.write(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "out_trade_no"}},
			DoUpdates: clause.AssignmentColumns([]string{"version", "state", "updated_at"}),
			Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "sim_orders.version < excluded.version"}}},
		}).Create(&row).Error
		if err != nil {
			return fmt.Errorf("save simulator order %s: %w", outTradeNo, err)
		}
		return nil
	})
}

// DeleteSimOrders forgets orders the simulator evicted.
func (s *Store) DeleteSimOrders(ctx context.Context, outTradeNos []string) error {
	if len(outTradeNos) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("out_trade_no IN ?", outTradeNos).Delete(&simOrder{}).Error; err != nil {
			return fmt.Errorf("delete %d simulator orders: %w", len(outTradeNos), err)
		}
		return nil
	})
}
