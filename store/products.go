package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"wxcheckout/models"
)

// ErrDuplicate is returned when a unique value (a product's SKU) is taken.
var ErrDuplicate = errors.New("already exists")

// AllProducts lists every product, on sale or not, in the shop's order.
func (s *Store) AllProducts(ctx context.Context) ([]models.Product, error) {
	var ps []models.Product
	if err := s.db.WithContext(ctx).Order("position, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("list all products: %w", err)
	}
	return ps, nil
}

// ProductByID finds a product, on sale or not.
func (s *Store) ProductByID(ctx context.Context, id uint) (*models.Product, error) {
	var p models.Product
	if err := s.db.WithContext(ctx).First(&p, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("product %d", id))
	}
	return &p, nil
}

// ProductsBySKU finds the products on sale among skus, by SKU.
func (s *Store) ProductsBySKU(ctx context.Context, skus []string) (map[string]models.Product, error) {
	var ps []models.Product
	if err := s.db.WithContext(ctx).Where("sku IN ? AND active = ?", skus, true).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("products by sku: %w", err)
	}
	m := make(map[string]models.Product, len(ps))
	for _, p := range ps {
		m[p.SKU] = p
	}
	return m, nil
}

// CreateProduct adds a product at the end of the list; ErrDuplicate when
// its SKU is taken.
func (s *Store) CreateProduct(ctx context.Context, p *models.Product) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.Product{}).Where("sku = ?", p.SKU).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("product %s: %w", p.SKU, ErrDuplicate)
		}
		var last struct{ Max int }
		if err := tx.Model(&models.Product{}).Select("COALESCE(MAX(position), 0) AS max").Scan(&last).Error; err != nil {
			return err
		}
		p.Position = last.Max + 1
		if err := tx.Create(p).Error; err != nil {
			return fmt.Errorf("create product %s: %w", p.SKU, err)
		}
		return nil
	})
}

// UpdateProduct saves what the owner edited: names, descriptions, price,
// image, stock and whether it is on sale. Its SKU and position stay.
// Orders keep the prices they were placed with (OrderItem).
func (s *Store) UpdateProduct(ctx context.Context, p *models.Product) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.Product{ID: p.ID}).
			Select("name", "name_en", "description", "description_en", "price", "image_id", "stock", "active", "updated_at").
			Updates(p)
		if res.Error != nil {
			return fmt.Errorf("update product %d: %w", p.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("product %d: %w", p.ID, ErrNotFound)
		}
		return nil
	})
}

// SetProductActive puts a product on sale or takes it off.
func (s *Store) SetProductActive(ctx context.Context, id uint, active bool) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.Product{ID: id}).Update("active", active)
		if res.Error != nil {
			return fmt.Errorf("set product %d active: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("product %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// MoveProduct swaps the product with its neighbour in the shop's order:
// up (delta -1) or down (+1). At either end it stays.
func (s *Store) MoveProduct(ctx context.Context, id uint, delta int) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var ps []models.Product
		if err := tx.Select("id", "position").Order("position, id").Find(&ps).Error; err != nil {
			return err
		}
		i := -1
		for k, p := range ps {
			if p.ID == id {
				i = k
			}
		}
		if i < 0 {
			return fmt.Errorf("product %d: %w", id, ErrNotFound)
		}
		j := i + delta
		if j < 0 || j >= len(ps) {
			return nil
		}
		ps[i], ps[j] = ps[j], ps[i]
		for k, p := range ps { // renumber: positions from old data may repeat
			if err := tx.Model(&models.Product{ID: p.ID}).Update("position", k+1).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// SaveImage keeps an image once per content and returns its ID.
func (s *Store) SaveImage(ctx context.Context, img *models.Image) (uint, error) {
	var id uint
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(img).Error; err != nil {
			return err
		}
		var got models.Image
		if err := tx.Select("id").Where("sha256 = ?", img.SHA256).First(&got).Error; err != nil {
			return err
		}
		id = got.ID
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save image: %w", err)
	}
	return id, nil
}

// Image reads a kept image.
func (s *Store) Image(ctx context.Context, id uint) (*models.Image, error) {
	var img models.Image
	if err := s.db.WithContext(ctx).First(&img, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("image %d", id))
	}
	return &img, nil
}

// ShopSettings reads the owner's settings; ok is false when they were
// never saved.
func (s *Store) ShopSettings(ctx context.Context) (set models.ShopSettings, ok bool, err error) {
	v, err := s.Setting(ctx, models.ShopSettingsKey)
	if errors.Is(err, ErrNotFound) {
		return set, false, nil
	}
	if err != nil {
		return set, false, err
	}
	if err := json.Unmarshal([]byte(v), &set); err != nil {
		return set, false, fmt.Errorf("shop settings: %w", err)
	}
	return set, true, nil
}

// SaveShopSettings replaces the owner's settings.
func (s *Store) SaveShopSettings(ctx context.Context, set models.ShopSettings) error {
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		st := models.Setting{Key: models.ShopSettingsKey, Value: string(b)}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).Create(&st).Error
	})
}

// OrderItems are an order's lines, in the order they were bought.
func (s *Store) OrderItems(ctx context.Context, orderID uint) ([]models.OrderItem, error) {
	var items []models.OrderItem
	if err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&items).Error; err != nil {
		return nil, fmt.Errorf("items of order %d: %w", orderID, err)
	}
	return items, nil
}

// SetFulfilment records how far a paid order's goods got.
func (s *Store) SetFulfilment(ctx context.Context, no string, f models.Fulfilment, trackingNo string, at time.Time, ev *models.OrderEvent) (*models.Order, error) {
	o, _, err := s.UpdateOrder(ctx, no, func(cur models.Order) models.Change {
		return cur.Fulfil(f, trackingNo, at, ev)
	})
	return o, err
}
