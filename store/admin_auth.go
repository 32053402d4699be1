package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"wxcheckout/models"
)

// Setting reads a named value; ErrNotFound when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var st models.Setting
	if err := s.db.WithContext(ctx).Where("key = ?", key).First(&st).Error; err != nil {
		return "", notFound(err, "setting "+key)
	}
	return st.Value, nil
}

// CreateSetting stores value under key unless the key already holds one,
// and reports whether it did: of two processes starting at once, one wins.
func (s *Store) CreateSetting(ctx context.Context, key, value string) (bool, error) {
	var created bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.Setting{Key: key, Value: value})
		created = res.RowsAffected == 1
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("create setting %s: %w", key, err)
	}
	return created, nil
}

// CreateAdminSession stores a new session.
func (s *Store) CreateAdminSession(ctx context.Context, a *models.AdminSession) error {
	if err := s.write(ctx, func(tx *gorm.DB) error { return tx.Create(a).Error }); err != nil {
		return fmt.Errorf("create admin session: %w", err)
	}
	return nil
}

// AdminSession finds a session by the hash of its id.
func (s *Store) AdminSession(ctx context.Context, idHash string) (*models.AdminSession, error) {
	var a models.AdminSession
	if err := s.db.WithContext(ctx).Where("id_hash = ?", idHash).First(&a).Error; err != nil {
		return nil, notFound(err, "admin session")
	}
	return &a, nil
}

// TouchAdminSession records activity, which keeps the session from idling out.
func (s *Store) TouchAdminSession(ctx context.Context, idHash string, at time.Time) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&models.AdminSession{}).Where("id_hash = ?", idHash).Update("last_seen_at", at.UTC()).Error
	})
	if err != nil {
		return fmt.Errorf("touch admin session: %w", err)
	}
	return nil
}

// DeleteAdminSession ends a session; ending one that is gone is not an error.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("id_hash = ?", idHash).Delete(&models.AdminSession{}).Error
	})
	if err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}

// DeleteAdminSessionsBefore removes sessions that expired or went idle.
func (s *Store) DeleteAdminSessionsBefore(ctx context.Context, expiredBy, idleSince time.Time) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("expires_at <= ? OR last_seen_at <= ?", expiredBy.UTC(), idleSince.UTC()).
			Delete(&models.AdminSession{}).Error
	})
	if err != nil {
		return fmt.Errorf("delete old admin sessions: %w", err)
	}
	return nil
}
