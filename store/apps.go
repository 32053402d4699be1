package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// Merchant apps (SPEC §6). Pids are handed out as the largest one plus one,
// from models.FirstAppPid; creating and ensuring apps are serialized across
// instances on PostgreSQL, so two instances never pick the same pid.

// CreateApp stores a new enabled app with the next pid and returns it.
func (s *Store) CreateApp(ctx context.Context, name, key string) (*models.MerchantApp, error) {
	var app *models.MerchantApp
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.pg.serialize(tx, lockApps); err != nil {
			return err
		}
		var last int64
		if err := tx.Model(&models.MerchantApp{}).Select("COALESCE(MAX(pid), 0)").Scan(&last).Error; err != nil {
			return fmt.Errorf("create app: next pid: %w", err)
		}
		a := models.MerchantApp{Pid: max(last+1, models.FirstAppPid), Key: key, Name: name, Enabled: true}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("create app %d: %w", a.Pid, err)
		}
		app = &a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// Apps lists every app by pid.
func (s *Store) Apps(ctx context.Context) ([]models.MerchantApp, error) {
	var apps []models.MerchantApp
	if err := s.db.WithContext(ctx).Order("pid").Find(&apps).Error; err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	return apps, nil
}

// AppByPid finds an app, enabled or not.
func (s *Store) AppByPid(ctx context.Context, pid int64) (*models.MerchantApp, error) {
	var a models.MerchantApp
	if err := s.db.WithContext(ctx).Where("pid = ?", pid).First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("app %d", pid))
	}
	return &a, nil
}

// SetAppKey replaces an app's key.
func (s *Store) SetAppKey(ctx context.Context, pid int64, key string) (*models.MerchantApp, error) {
	return s.updateApp(ctx, pid, map[string]any{"key": key})
}

// SetAppEnabled enables or disables an app.
func (s *Store) SetAppEnabled(ctx context.Context, pid int64, enabled bool) (*models.MerchantApp, error) {
	return s.updateApp(ctx, pid, map[string]any{"enabled": enabled})
}

// updateApp changes columns of one app and returns it as committed.
func (s *Store) updateApp(ctx context.Context, pid int64, cols map[string]any) (*models.MerchantApp, error) {
	var a models.MerchantApp
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.MerchantApp{}).Where("pid = ?", pid).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("update app %d: %w", pid, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("app %d: %w", pid, ErrNotFound)
		}
		if err := tx.Where("pid = ?", pid).First(&a).Error; err != nil {
			return notFound(err, fmt.Sprintf("app %d", pid))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// EnsureApp makes an enabled app with exactly this pid and key exist:
// created with name when there is none, else given the key (its name is
// kept). created tells which.
func (s *Store) EnsureApp(ctx context.Context, pid int64, key, name string) (app *models.MerchantApp, created bool, err error) {
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := s.pg.serialize(tx, lockApps); err != nil {
			return err
		}
		var a models.MerchantApp
		res := tx.Where("pid = ?", pid).Limit(1).Find(&a)
		if res.Error != nil {
			return fmt.Errorf("ensure app %d: %w", pid, res.Error)
		}
		if res.RowsAffected == 0 {
			a = models.MerchantApp{Pid: pid, Key: key, Name: name, Enabled: true}
			if err := tx.Create(&a).Error; err != nil {
				return fmt.Errorf("ensure app %d: create: %w", pid, err)
			}
			app, created = &a, true
			return nil
		}
		if err := tx.Model(&a).Updates(map[string]any{"key": key, "enabled": true}).Error; err != nil {
			return fmt.Errorf("ensure app %d: update: %w", pid, err)
		}
		app, created = &a, false
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return app, created, nil
}
