package checkout

import (
	"context"
	"errors"
	"sync"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
)

// Message keys of the shop's own errors.
const (
	msgInvalidFields = "err_invalid_fields" // a form with fields to mend (FieldsOf)
	msgSoldOut       = "err_sold_out"       // arg: the product's name
	msgEmptyCart     = "err_empty_cart"
	msgCartTooBig    = "err_cart_too_big" // arg: the most lines
	msgSKUTaken      = "err_sku_taken"
	msgProductNotFnd = "err_product_not_found"
	msgNotFulfilable = "err_not_fulfilable" // fulfilment of an unpaid order
)

// MaxCartLines bounds the different products in one order.
const MaxCartLines = 20

// FieldsOf returns, per form field, the i18n key of what is wrong when
// err is a form's validation error; nil otherwise.
func FieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) && e.Key == msgInvalidFields && len(e.Args) == 1 {
		if m, ok := e.Args[0].(map[string]string); ok {
			return m
		}
	}
	return nil
}

func invalidFields(bad map[string]string) error {
	if len(bad) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Key: msgInvalidFields, Args: []any{bad}}
}

// shopSettingsTTL is how long an instance keeps the owner's settings: every
// page shows them, and an edit on another instance shows within it.
const shopSettingsTTL = 5 * time.Second

type settingsCache struct {
	mu  sync.Mutex
	set models.ShopSettings
	at  time.Time
}

// ShopSettings are the owner's settings, or the defaults (Settings.DefaultShop)
// until the owner saves them. A database failure shows the last known or
// the defaults: the shop's pages do not fail over a header.
func (s *Service) ShopSettings(ctx context.Context) models.ShopSettings {
	s.shop.mu.Lock()
	defer s.shop.mu.Unlock()
	now := s.now()
	if !s.shop.at.IsZero() && now.Sub(s.shop.at) < shopSettingsTTL && now.After(s.shop.at) {
		return s.shop.set
	}
	set, ok, err := s.store.ShopSettings(ctx)
	switch {
	case err != nil:
		s.log.Error("read shop settings", "err", err)
		if s.shop.at.IsZero() {
			return s.set.DefaultShop
		}
		return s.shop.set
	case !ok:
		set = s.set.DefaultShop
	}
	s.shop.set, s.shop.at = set, now
	return set
}

// SaveShopSettings validates and saves the owner's settings.
func (s *Service) SaveShopSettings(ctx context.Context, set models.ShopSettings) error {
	if err := invalidFields(set.Validate()); err != nil {
		return err
	}
	if err := s.store.SaveShopSettings(ctx, set); err != nil {
		return newError(KindInternal, msgInternal, err)
	}
	s.shop.mu.Lock()
	s.shop.set, s.shop.at = set, s.now()
	s.shop.mu.Unlock()
	return nil
}

// AllProducts lists every product for the admin, on sale or not.
func (s *Service) AllProducts(ctx context.Context) ([]models.Product, error) {
	ps, err := s.store.AllProducts(ctx)
	return ps, lookupError(err, msgProductNotFnd)
}

// Product finds a product for the admin.
func (s *Service) Product(ctx context.Context, id uint) (*models.Product, error) {
	p, err := s.store.ProductByID(ctx, id)
	return p, lookupError(err, msgProductNotFnd)
}

// CreateProduct validates and adds a product.
func (s *Service) CreateProduct(ctx context.Context, p *models.Product) error {
	if err := invalidFields(p.Validate()); err != nil {
		return err
	}
	err := s.store.CreateProduct(ctx, p)
	if errors.Is(err, store.ErrDuplicate) {
		return invalidFields(map[string]string{"sku": msgSKUTaken})
	}
	return lookupError(err, msgProductNotFnd)
}

// UpdateProduct validates and saves an edited product; its SKU stays.
func (s *Service) UpdateProduct(ctx context.Context, p *models.Product) error {
	if err := invalidFields(p.Validate()); err != nil {
		return err
	}
	return lookupError(s.store.UpdateProduct(ctx, p), msgProductNotFnd)
}

// SetProductActive puts a product on sale or takes it off.
func (s *Service) SetProductActive(ctx context.Context, id uint, active bool) error {
	return lookupError(s.store.SetProductActive(ctx, id, active), msgProductNotFnd)
}

// MoveProduct moves a product one place up (-1) or down (+1) in the shop.
func (s *Service) MoveProduct(ctx context.Context, id uint, delta int) error {
	return lookupError(s.store.MoveProduct(ctx, id, delta), msgProductNotFnd)
}

// OrderItems are an order's lines (Order.Lines for orders from before the cart).
func (s *Service) OrderItems(ctx context.Context, o *models.Order) ([]models.OrderItem, error) {
	if len(o.Items) > 0 {
		return o.Items, nil
	}
	items, err := s.store.OrderItems(ctx, o.ID)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	o.Items = items
	return o.Lines(), nil
}

// SetFulfilment records how far a paid order's goods got (the admin).
func (s *Service) SetFulfilment(ctx context.Context, no string, f models.Fulfilment, trackingNo, actor string) (*models.Order, error) {
	switch {
	case !f.Valid():
		return nil, invalidFields(map[string]string{"fulfilment": "err_fulfilment"})
	case f == models.FulfilShipped && !models.ValidTrackingNo(trackingNo):
		return nil, invalidFields(map[string]string{"tracking_no": "err_tracking_no"})
	case f != models.FulfilShipped && trackingNo != "" && !models.ValidTrackingNo(trackingNo):
		return nil, invalidFields(map[string]string{"tracking_no": "err_tracking_no"})
	}
	o, err := s.OrderByOutTradeNo(ctx, no)
	if err != nil {
		return nil, err
	}
	if !o.Status.Paid() || o.Gateway() { // a merchant app's order ships from the merchant's system
		return nil, newError(KindConflict, msgNotFulfilable, nil)
	}
	summary := "fulfilment → " + string(f)
	if trackingNo != "" {
		summary += ", tracking number " + trackingNo
	}
	ev := &models.OrderEvent{Kind: models.EventAdmin, OK: true, Actor: actor, Summary: summary}
	o, err = s.store.SetFulfilment(ctx, no, f, trackingNo, s.now(), ev)
	return o, lookupError(err, msgOrderNotFound)
}

// SaveImage keeps a decoded and re-encoded image (see package imaging)
// and returns its ID.
func (s *Service) SaveImage(ctx context.Context, img *models.Image) (uint, error) {
	id, err := s.store.SaveImage(ctx, img)
	if err != nil {
		return 0, newError(KindInternal, msgInternal, err)
	}
	return id, nil
}

// Image reads a kept image.
func (s *Service) Image(ctx context.Context, id uint) (*models.Image, error) {
	img, err := s.store.Image(ctx, id)
	return img, lookupError(err, "err_image_not_found")
}
