package models

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ShopSettings are what the owner sets in the admin (/admin/settings): how
// the shop presents itself and what it asks of a buyer. Kept as JSON in the
// settings table under ShopSettingsKey.
type ShopSettings struct {
	ShopName   string `json:"shop_name"`    // the header of every shop page, in Chinese
	ShopNameEN string `json:"shop_name_en"` // the same in English; ShopName when empty
	// MerchantName is the seller shown on the payment page and the receipt
	// (the name the shopper's WeChat payment record shows, ideally).
	MerchantName string      `json:"merchant_name"`
	LogoImageID  uint        `json:"logo_image_id"` // 0: the built-in mark
	Contact      string      `json:"contact"`       // phone, e-mail or WeChat ID, shown on receipts
	Footer       string      `json:"footer"`        // a line at the bottom of shop pages
	Ask          BuyerFields `json:"ask"`
}

// ShopSettingsKey is the settings row that holds ShopSettings.
const ShopSettingsKey = "shop"

// BuyerFields are the buyer details the checkout asks for. Name, phone and
// address are required when asked; the note is always optional.
type BuyerFields struct {
	Name    bool `json:"name"`
	Phone   bool `json:"phone"`
	Address bool `json:"address"`
	Note    bool `json:"note"`
}

// Any reports whether the checkout asks anything at all.
func (f BuyerFields) Any() bool { return f.Name || f.Phone || f.Address || f.Note }

// Limits of what the owner enters in the settings.
const (
	MaxShopNameLen = 40  // runes
	MaxContactLen  = 100 // runes
	MaxFooterLen   = 200 // runes
)

// Validate returns, per field name, the i18n key of what is wrong; empty
// when the settings can be saved.
func (s ShopSettings) Validate() map[string]string {
	bad := map[string]string{}
	check := func(field, v string, max int, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			bad[field] = "err_field_required"
		case !utf8.ValidString(v) || hasControl(v) || (field != "footer" && hasControlOrBreak(v)):
			bad[field] = "err_field_control"
		case utf8.RuneCountInString(v) > max:
			bad[field] = "err_field_too_long"
		}
	}
	check("shop_name", s.ShopName, MaxShopNameLen, true)
	check("shop_name_en", s.ShopNameEN, MaxShopNameLen, false)
	check("merchant_name", s.MerchantName, MaxShopNameLen*2, false)
	check("contact", s.Contact, MaxContactLen, false)
	check("footer", s.Footer, MaxFooterLen, false)
	return bad
}

// Buyer is what the buyer told the shop at checkout.
type Buyer struct {
	Name    string `gorm:"size:64"`
	Phone   string `gorm:"size:32"`
	Address string `gorm:"size:400"`
	Note    string `gorm:"size:400"`
}

// Limits of the buyer's details, in runes.
const (
	MaxBuyerNameLen    = 32
	MinBuyerAddressLen = 5
	MaxBuyerAddressLen = 120
	MaxBuyerNoteLen    = 140
)

// buyerPhone accepts a mainland mobile number (11 digits starting 1[3-9]),
// optionally after +86, or a landline with its area code (010-12345678).
var buyerPhone = regexp.MustCompile(`^(?:(?:\+?86[ -]?)?1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})$`)

// Normalize trims the details; a phone loses its spaces.
func (b Buyer) Normalize() Buyer {
	b.Name = strings.TrimSpace(b.Name)
	b.Phone = strings.ReplaceAll(strings.TrimSpace(b.Phone), " ", "")
	b.Address = strings.TrimSpace(b.Address)
	b.Note = strings.TrimSpace(b.Note)
	return b
}

// Validate checks the (normalized) details against what the shop asks and
// returns, per field (name, phone, address, note), the i18n key of what is
// wrong. Fields not asked must be empty.
func (b Buyer) Validate(ask BuyerFields) map[string]string {
	bad := map[string]string{}
	text := func(field, v string, asked, required bool, min, max int) {
		n := utf8.RuneCountInString(v)
		multiline := field == "address" || field == "note"
		switch {
		case !asked && v != "":
			bad[field] = "err_field_not_asked"
		case !asked:
		case v == "" && required:
			bad[field] = "err_field_required"
		case v == "":
		case !utf8.ValidString(v) || hasControl(v) || (!multiline && hasControlOrBreak(v)):
			bad[field] = "err_field_control"
		case n > max:
			bad[field] = "err_field_too_long"
		case n < min:
			bad[field] = "err_field_too_short"
		}
	}
	text("name", b.Name, ask.Name, true, 1, MaxBuyerNameLen)
	text("phone", b.Phone, ask.Phone, true, 1, 20)
	if _, ok := bad["phone"]; !ok && ask.Phone && b.Phone != "" && !buyerPhone.MatchString(b.Phone) {
		bad["phone"] = "err_phone"
	}
	text("address", b.Address, ask.Address, true, MinBuyerAddressLen, MaxBuyerAddressLen)
	text("note", b.Note, ask.Note, false, 0, MaxBuyerNoteLen)
	return bad
}

// Empty reports whether the buyer told nothing.
func (b Buyer) Empty() bool { return b == Buyer{} }

// hasControl reports control characters other than line breaks, the
// Unicode line and paragraph separators, and the bidirectional controls
// that make text read other than it is stored (U+202E and its kin).
func hasControl(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsControl(r) && r != '\n' && r != '\r',
			r == '\u2028', r == '\u2029', r == '\u061c', r == '\u200e', r == '\u200f',
			r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\ufeff':
			return true
		}
	}
	return false
}

// hasControlOrBreak is hasControl for a one-line field: line breaks too.
func hasControlOrBreak(s string) bool { return hasControl(s) || strings.ContainsAny(s, "\r\n") }

// Fulfilment is how far a paid order of goods got to its buyer.
type Fulfilment string

const (
	FulfilNone    Fulfilment = ""        // nothing to ship, or not paid
	FulfilToShip  Fulfilment = "to_ship" // paid, waiting for the owner
	FulfilShipped Fulfilment = "shipped" // on its way (TrackingNo)
	FulfilDone    Fulfilment = "done"    // delivered or handed over
)

// Valid reports whether f is a fulfilment status the admin may set.
func (f Fulfilment) Valid() bool {
	return f == FulfilToShip || f == FulfilShipped || f == FulfilDone
}

// MaxTrackingNoLen bounds a tracking number.
const MaxTrackingNoLen = 40

var trackingNo = regexp.MustCompile(`^[A-Za-z0-9-]{4,40}$`)

// ValidTrackingNo reports whether no looks like a carrier's tracking number.
func ValidTrackingNo(no string) bool { return trackingNo.MatchString(no) }

// OrderItem is one line of an order: a product, its price when ordered and
// how many. Prices are copied so that later edits of the product do not
// change an order.
type OrderItem struct {
	ID        uint   `gorm:"primaryKey"`
	OrderID   uint   `gorm:"index;not null"`
	ProductID *uint  `gorm:"index"`
	SKU       string `gorm:"size:32;not null"`
	Name      string `gorm:"size:127;not null"`
	NameEN    string `gorm:"size:127"`
	UnitPrice Money  `gorm:"not null"`
	Quantity  int    `gorm:"not null"`
	// Stocked is set when the product counted stock when ordered: the
	// order holds (or held) Quantity of it.
	Stocked bool `gorm:"not null;default:false"`
}

// Amount is the line's total.
func (i OrderItem) Amount() Money { return i.UnitPrice * Money(i.Quantity) }

// DisplayName is the item's name in the shopper's language.
func (i OrderItem) DisplayName(lang string) string {
	if lang == "en" && i.NameEN != "" {
		return i.NameEN
	}
	return i.Name
}

// Image is an uploaded picture (a product's, the shop's logo), kept in the
// database so that every instance serves it. Only re-encoded PNG and JPEG
// are kept: what the app serves is what it decoded itself.
type Image struct {
	ID          uint   `gorm:"primaryKey"`
	SHA256      string `gorm:"size:64;uniqueIndex;not null"` // of Data: the same picture is kept once
	ContentType string `gorm:"size:32;not null"`
	Width       int    `gorm:"not null"`
	Height      int    `gorm:"not null"`
	Data        []byte `gorm:"not null"`
	CreatedAt   time.Time
}

// Limits of product fields.
const (
	MaxProductNameLen = 60                   // runes; WeChat's body is 128 bytes
	MaxProductDescLen = 500                  // runes
	MaxProductPrice   = Money(10_000_000_00) // ¥10,000,000.00: more than any one order
	MaxStock          = 1_000_000
)

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// Validate returns, per field, the i18n key of what is wrong with p.
func (p Product) Validate() map[string]string {
	bad := map[string]string{}
	if !skuPattern.MatchString(p.SKU) {
		bad["sku"] = "err_sku"
	}
	text := func(field, v string, max int, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			bad[field] = "err_field_required"
		case !utf8.ValidString(v) || hasControl(v) || (strings.HasPrefix(field, "name") && hasControlOrBreak(v)):
			bad[field] = "err_field_control"
		case utf8.RuneCountInString(v) > max:
			bad[field] = "err_field_too_long"
		}
	}
	text("name", p.Name, MaxProductNameLen, true)
	text("name_en", p.NameEN, MaxProductNameLen, false)
	text("description", p.Description, MaxProductDescLen, false)
	text("description_en", p.DescriptionEN, MaxProductDescLen, false)
	if p.Price < 1 || p.Price > MaxProductPrice {
		bad["price"] = "err_price"
	}
	if p.Stock != nil && (*p.Stock < 0 || *p.Stock > MaxStock) {
		bad["stock"] = "err_stock"
	}
	return bad
}

// Fulfil sets how far a paid order's goods got; an unpaid order does not
// change. ev, when set, is recorded with it.
func (o Order) Fulfil(f Fulfilment, trackingNo string, at time.Time, ev *OrderEvent) Change {
	if !o.Status.Paid() || (o.Fulfilment == f && o.TrackingNo == trackingNo) {
		return unchanged(o)
	}
	after := o
	after.Fulfilment, after.TrackingNo = f, trackingNo
	cols := []string{"fulfilment", "tracking_no"}
	if f == FulfilShipped && o.ShippedAt == nil {
		at = at.UTC()
		after.ShippedAt = &at
		cols = append(cols, "shipped_at")
	}
	ch := Change{After: after, Columns: cols}
	if ev != nil {
		ch.Events = []*OrderEvent{ev}
	}
	return ch
}
