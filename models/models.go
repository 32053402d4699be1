// Package models holds the shop's domain types and the rules of their state.
// It imports only the standard library; gorm reads the struct tags.
package models

import (
	"fmt"
	"strings"
	"time"
)

// Money is an amount in fen (1/100 yuan). Money is never a float.
type Money int64

// Yuan renders the amount as yuan with two decimals, e.g. 1234 → "12.34".
func (m Money) Yuan() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// Product is something the shop sells.
type Product struct {
	ID            uint   `gorm:"primaryKey"`
	SKU           string `gorm:"size:32;uniqueIndex;not null"`
	Name          string `gorm:"size:127;not null"` // Chinese name, sent as the order body
	NameEN        string `gorm:"size:127"`
	Description   string
	DescriptionEN string
	Price         Money `gorm:"not null"`
	Active        bool  `gorm:"not null;default:true"`
	// Position orders the shop's list: smaller first, then by ID.
	Position int `gorm:"not null;default:0"`
	// ImageID is the product's picture (an Image); 0: none.
	ImageID uint `gorm:"not null;default:0"`
	// Stock is how many are left to sell; nil: not counted. A checkout
	// holds its quantity until the order is paid (kept) or ends unpaid
	// (given back).
	Stock     *int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DisplayName is the product's name in the shopper's language.
func (p Product) DisplayName(lang string) string {
	if lang == "en" && p.NameEN != "" {
		return p.NameEN
	}
	return p.Name
}

// DisplayDescription is the description in the shopper's language.
func (p Product) DisplayDescription(lang string) string {
	if lang == "en" && p.DescriptionEN != "" {
		return p.DescriptionEN
	}
	return p.Description
}

// SoldOut reports whether a counted product has none left.
func (p Product) SoldOut() bool { return p.Stock != nil && *p.Stock <= 0 }

// OrderStatus is what the outside sees of an order.
type OrderStatus string

const (
	StatusNotPay OrderStatus = "NOTPAY"
	StatusPaid   OrderStatus = "PAID"
	StatusClosed OrderStatus = "CLOSED"
	StatusFailed OrderStatus = "FAILED"
)

// Prepay is how far the order's unifiedorder call got. Pending survives a
// crash between creating the order and hearing WeChat's answer, so that
// recovery can re-enter the call with identical fields.
type Prepay string

const (
	PrepayPending Prepay = "pending"
	PrepayDone    Prepay = "done"
	PrepayFailed  Prepay = "failed"
)

// Open reports whether the order may still be paid.
func (s OrderStatus) Open() bool { return s == StatusNotPay }

// Paid reports whether the shopper's money was received: PAID, or REFUND
// (paid, then refunded in part or in full).
func (s OrderStatus) Paid() bool { return s == StatusPaid || s == StatusRefund }

// Flags an admin must notice.
const (
	FlagPaidAfterClose = "paid_after_close"
	// WeChat never knew the order (ORDERNOTEXIST until its time was up):
	// a restart of the simulator, or a change of merchant.
	FlagNotAtWeChat = "not_at_wechat"
	// WeChat kept reporting a payment of another amount.
	FlagAmountMismatch = "amount_mismatch"
	// The shopper paid twice: a second WeChat order of the same order (the
	// QR after H5, say) was paid too. The second payment is in the
	// timeline; refund it at WeChat.
	FlagSecondPayment = "second_payment"
)

// Order is one checkout and, at most once, one payment.
type Order struct {
	// The admin list's indexes go on with (created_at, id), its order, so
	// that each filter reads one page of one index (idx_orders_created: no
	// filter; idx_orders_status_created, idx_orders_fulfil_created,
	// idx_orders_sku_created: one of those); the first three end in
	// status, total_fee and refunded_fee so that the totals of a date
	// range read the index alone.
	ID         uint   `gorm:"primaryKey;index:idx_orders_created,priority:2;index:idx_orders_status_created,priority:3;index:idx_orders_fulfil_created,priority:3;index:idx_orders_sku_created,priority:3"`
	OutTradeNo string `gorm:"size:32;uniqueIndex;not null"`
	Token      string `gorm:"size:64;uniqueIndex;not null"`
	// ProductID is the shop's product; nil for a gateway order, whose
	// merchant app sells what it names.
	ProductID  *uint       `gorm:"index"`
	Product    *Product    `gorm:"constraint:OnDelete:RESTRICT"`
	SKU        string      `gorm:"size:32;not null;index:idx_orders_sku_created,priority:1"`
	Body       string      `gorm:"size:127;not null"`
	Quantity   int         `gorm:"not null"`
	UnitPrice  Money       `gorm:"not null"`
	TotalFee   Money       `gorm:"not null;index:idx_orders_paid,priority:3;index:idx_orders_created,priority:4;index:idx_orders_status_created,priority:4;index:idx_orders_fulfil_created,priority:5"`
	Status     OrderStatus `gorm:"size:16;not null;index:idx_orders_status_next;index:idx_orders_status_created,priority:1;index:idx_orders_paid,priority:1;index:idx_orders_created,priority:3;index:idx_orders_fulfil_created,priority:4;index:idx_orders_status_prepay,priority:1;index:idx_orders_client_status,priority:2"`
	Prepay     Prepay      `gorm:"size:16;not null;index:idx_orders_status_prepay,priority:2"`
	FailReason string
	CodeURL    string
	PrepayID   string `gorm:"size:64"`
	// TradeType is the trade type of the order's own WeChat order (the one
	// numbered OutTradeNo): NATIVE for the shop and the payment page,
	// APP or JSAPI for a merchant app's order. Other ways of paying the
	// order are WxOrders of their own.
	TradeType string `gorm:"size:8;not null;default:NATIVE"`
	// AppID is the appid the order's own WeChat order is placed for when
	// it is not WXPAY_APPID (a mini program's); empty otherwise.
	AppID string `gorm:"size:32"`
	// PaidTradeNo is the out_trade_no of the WeChat order that was paid —
	// OutTradeNo or a WxOrder's; refunds name it.
	PaidTradeNo string `gorm:"size:32"`
	ClientIP    string `gorm:"size:64"`
	// ClientKey is what per-client limits count: the IP, or its /64 for IPv6.
	ClientKey   string `gorm:"size:64;index:idx_orders_client_status,priority:1"`
	TimeStart   time.Time
	ExpiresAt   time.Time `gorm:"not null;index:idx_orders_client_status,priority:3"`
	NextQueryAt time.Time `gorm:"index:idx_orders_status_next"`
	Queries     int       `gorm:"not null;default:0"`
	// LastQueryAt and LastQueryState are the reconciler's last orderquery
	// and WeChat's answer: a query that changes nothing is counted here
	// (Queries), not kept in the timeline.
	LastQueryAt    *time.Time
	LastQueryState string `gorm:"size:16;not null;default:''"`
	// QueryAnomalies counts answers in a row that could not be applied
	// (ORDERNOTEXIST, a paid amount that is not the order's): they back off.
	QueryAnomalies int `gorm:"not null;default:0"`
	// RefusedNotifies counts refused notifications naming the order; only a
	// few are kept in the timeline.
	RefusedNotifies int `gorm:"not null;default:0"`
	// RenewedTo is the out_trade_no of the order that replaced this one.
	RenewedTo     string     `gorm:"size:32"`
	TransactionID string     `gorm:"size:32;index"`
	PaidAt        *time.Time `gorm:"index:idx_orders_paid,priority:2"` // idx_orders_paid holds what the chart reads
	OpenID        string     `gorm:"size:128"`
	BankType      string     `gorm:"size:32"`
	ClosedAt      *time.Time
	Flags         string
	CreatedAt     time.Time `gorm:"index:idx_orders_created,priority:1;index:idx_orders_status_created,priority:2;index:idx_orders_fulfil_created,priority:2;index:idx_orders_sku_created,priority:2;index:idx_orders_status_prepay,priority:3"`
	UpdatedAt     time.Time `gorm:"index"` // the instances' periodic check of changes reads it

	// Refunds (SPEC §8): RefundReserved is the sum of the refunds that are
	// not CLOSED (never more than TotalFee), RefundedFee the sum of the
	// SUCCESS ones, RefundCount how many were started.
	RefundReserved Money `gorm:"not null;default:0"`
	RefundedFee    Money `gorm:"not null;default:0;index:idx_orders_paid,priority:4;index:idx_orders_created,priority:5;index:idx_orders_status_created,priority:5;index:idx_orders_fulfil_created,priority:6"`
	RefundCount    int   `gorm:"not null;default:0"`

	Merchant // empty for the shop's own orders

	// The shop's own orders (SPEC §6 "Products"): the lines bought (empty
	// for gateway orders and for orders older than the cart, whose one
	// line is SKU × Quantity), the buyer's details and the goods' way.
	Items []OrderItem `gorm:"foreignKey:OrderID"`
	// Detail is the goods list sent to WeChat (v2 detail JSON), fixed at
	// creation so that a re-entry sends the same fields.
	Detail     string
	Buyer      Buyer      `gorm:"embedded;embeddedPrefix:buyer_"`
	Fulfilment Fulfilment `gorm:"size:16;not null;default:'';index:idx_orders_fulfil_created,priority:1"`
	TrackingNo string     `gorm:"size:40"`
	ShippedAt  *time.Time
	// StockHeld is set while the order holds the stock of its stocked
	// items: from checkout until it ends unpaid; a paid order keeps it.
	StockHeld bool `gorm:"not null;default:false"`
}

// Lines are the order's items; an order from before the cart has its one
// product line.
func (o Order) Lines() []OrderItem {
	if len(o.Items) > 0 || o.SKU == "" || o.Gateway() {
		return o.Items
	}
	return []OrderItem{{OrderID: o.ID, ProductID: o.ProductID, SKU: o.SKU, Name: o.Body, UnitPrice: o.UnitPrice, Quantity: o.Quantity}}
}

// NotifyStyle is how a gateway order tells its merchant of a payment.
type NotifyStyle string

const (
	NotifyNone    NotifyStyle = ""        // the shop's own order
	NotifyEpay    NotifyStyle = "epay"    // created by submit.php or mapi.php: a signed GET
	NotifyWebhook NotifyStyle = "webhook" // created by /api/v1: a signed JSON POST
)

// Merchant is what a gateway order (SPEC §6) keeps of the merchant app that
// created it. The pair (AppPid, MerchantTradeNo) is unique; the shop's own
// orders have pid 0 and no merchant order number.
type Merchant struct {
	AppPid int64 `gorm:"not null;default:0;uniqueIndex:idx_orders_merchant,priority:1"`
	// MerchantTradeNo is the merchant's out_trade_no; nil for the shop's own
	// orders, so that they never collide in the unique index.
	MerchantTradeNo *string `gorm:"size:64;uniqueIndex:idx_orders_merchant,priority:2;index:idx_orders_merchant_no"`
	// ItemName is the merchant's name of what is sold, as sent (Body is
	// what WeChat gets, cut to its limit).
	ItemName    string      `gorm:"size:255"`
	NotifyURL   string      `gorm:"size:512"`
	ReturnURL   string      `gorm:"size:512"`
	Param       string      `gorm:"size:512"`
	NotifyStyle NotifyStyle `gorm:"size:8;not null;default:''"`
}

// Gateway reports whether a merchant app created the order.
func (o *Order) Gateway() bool { return o.AppPid != 0 }

// MerchantOutTradeNo is the merchant's order number, or "".
func (o *Order) MerchantOutTradeNo() string {
	if o.MerchantTradeNo == nil {
		return ""
	}
	return *o.MerchantTradeNo
}

// Expired reports whether the QR can no longer be paid: the order's TTL has
// passed while it is still unpaid, or it is closed or failed.
func (o *Order) Expired(now time.Time) bool {
	switch o.Status {
	case StatusPaid, StatusRefund:
		return false
	case StatusNotPay:
		return !now.Before(o.ExpiresAt)
	}
	return true
}

// HasFlag reports whether the order carries flag.
func (o *Order) HasFlag(flag string) bool {
	for _, f := range strings.Split(o.Flags, ",") {
		if f == flag {
			return true
		}
	}
	return false
}

// Event kinds in an order's timeline.
const (
	EventCreated      = "created"
	EventUnifiedOrder = "unifiedorder"
	EventNotify       = "notify"
	EventNotifyV3     = "notify_v3" // Request: the decrypted resource; Response: our reply
	EventQuery        = "orderquery"
	EventClose        = "closeorder"
	EventStatus       = "status"
	EventAdmin        = "admin"
	EventRenew        = "renew"
	// EventRefund is a refund started or ended.
	EventRefund = "refund"
	// EventDelivery is one attempt to tell a gateway order's merchant.
	EventDelivery = "merchant_notify"
)

// OrderEvent is one entry in an order's timeline: a call to WeChat with its
// request and reply, a notification with its verification result and our
// reply, or a change of state. Raw holds XML as sent or received; it never
// contains the API key (WeChat messages carry only the sign).
type OrderEvent struct {
	ID         uint   `gorm:"primaryKey;index:idx_order_events_created,priority:2"`
	OrderID    *uint  `gorm:"index"` // nil for a notification about an unknown order
	Order      *Order `gorm:"constraint:OnDelete:CASCADE"`
	OutTradeNo string `gorm:"size:64;index"`
	Kind       string `gorm:"size:32;not null"`
	// Code types a refused notification (see Refusal); admin alerts read it,
	// never the summary.
	Code     string `gorm:"size:32"`
	OK       bool   `gorm:"not null"`
	Summary  string `gorm:"not null"`
	Request  string
	Response string
	// RawDigest says what a routine call's Request and Response were once
	// the retention pruner dropped them (RAW_BODY_RETENTION): "sha256:<hex>
	// req=<bytes> resp=<bytes>", the hash of the request, a NUL byte and the
	// response. Empty while the bodies are kept.
	RawDigest string `gorm:"size:100;not null;default:''"`
	Actor     string `gorm:"size:64"` // wechat, shopper, reconciler, admin:<session>
	// CreatedAt leads idx_order_events_created, the pruner's range.
	CreatedAt time.Time `gorm:"index:idx_order_events_created,priority:1"`
}
