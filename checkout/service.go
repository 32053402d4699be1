// Package checkout is the shop's business: placing an order with WeChat Pay,
// confirming a payment (one path, whether a notification or a query reports
// it), closing and expiring orders, and publishing status changes.
package checkout

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/metrics"
	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
)

// WeChat is what the checkout needs of WeChat Pay; *wxpay.Client has it.
type WeChat interface {
	UnifiedOrder(ctx context.Context, r *wxpay.UnifiedOrderRequest) (*wxpay.UnifiedOrderResponse, error)
	OrderQuery(ctx context.Context, outTradeNo string) (*wxpay.OrderQueryResponse, error)
	CloseOrder(ctx context.Context, outTradeNo string) (*wxpay.CloseOrderResponse, error)
	ParseNotification(body []byte) (*wxpay.Notification, error)
}

// Settings are the checkout's knobs.
type Settings struct {
	OrderTTL  time.Duration // how long a QR stays payable
	NotifyURL string
	// RefundNotifyURL is where WeChat reports refunds: PUBLIC_URL +
	// /wxpay/refund-notify (v2) or the v3 notify URL.
	RefundNotifyURL string
	ServerIP        string // spbill_create_ip: for Native, the merchant server's IP
	MaxQty          int    // the most items in one order
	// MaxOpenOrdersPerClient caps one client's unpaid, unexpired orders;
	// 0 means no cap.
	MaxOpenOrdersPerClient int

	// The merchant gateway (SPEC §6).
	PublicURL string // the site's base URL: payment page links handed to merchants
	// AllowPrivateNotify lets notify_url point to loopback, link-local and
	// private addresses (GATEWAY_ALLOW_PRIVATE_NOTIFY=1).
	AllowPrivateNotify bool
	Resolver           gateway.Resolver // nil: the system's
	// Delivered, when set, is called after a change that owes merchant
	// notifications commits, so the delivery worker starts at once.
	Delivered func()

	// Devices are the ways to pay beyond the Native QR (SPEC §9).
	Devices Devices

	// DefaultShop is what the shop shows until the owner saves settings.
	DefaultShop models.ShopSettings
}

// Deps are the service's collaborators; Now and Rand default to the real ones.
type Deps struct {
	Store  *store.Store
	WeChat WeChat
	// SNS is WeChat's login (OAuth, jscode2session); nil: none.
	SNS      SNS
	Broker   *Broker
	Settings Settings
	Logger   *slog.Logger
	Now      func() time.Time
	Rand     io.Reader
	// Metrics counts payments for GET /metrics; nil counts nothing.
	Metrics *metrics.Metrics
}

// Service is the checkout.
type Service struct {
	store  *store.Store
	wx     WeChat
	sns    SNS
	broker *Broker
	status *statusView
	set    Settings
	log    *slog.Logger
	now    func() time.Time
	rand   io.Reader
	shop   settingsCache
	met    *metrics.Metrics
}

// New builds the service.
func New(d Deps) *Service {
	s := &Service{store: d.Store, wx: d.WeChat, sns: d.SNS, broker: d.Broker, set: d.Settings, log: d.Logger, now: d.Now, rand: d.Rand,
		status: newStatusView(50_000), met: d.Metrics}
	if s.broker == nil {
		s.broker = NewBroker()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.set.MaxQty == 0 {
		s.set.MaxQty = 99
	}
	return s
}

// Broker is where status changes are published.
func (s *Service) Broker() *Broker { return s.broker }

// Products lists what the shop sells.
func (s *Service) Products(ctx context.Context) ([]models.Product, error) {
	return s.store.Products(ctx)
}

// Ping reports whether the database answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// OrderByToken finds an order by its public token.
func (s *Service) OrderByToken(ctx context.Context, token string) (*models.Order, error) {
	o, err := s.store.OrderByToken(ctx, token)
	return o, lookupError(err, msgOrderNotFound)
}

// OrderByOutTradeNo finds an order by out_trade_no.
func (s *Service) OrderByOutTradeNo(ctx context.Context, no string) (*models.Order, error) {
	o, err := s.store.OrderByOutTradeNo(ctx, no)
	return o, lookupError(err, msgOrderNotFound)
}

// Timeline returns one page of an order's timeline, oldest first.
func (s *Service) Timeline(ctx context.Context, o *models.Order, offset, limit int) (models.TimelinePage, error) {
	t, err := s.store.Timeline(ctx, o.ID, offset, limit)
	return t, lookupError(err, msgOrderNotFound)
}

// Events returns an order's whole timeline.
func (s *Service) Events(ctx context.Context, o *models.Order) ([]models.OrderEvent, error) {
	return s.store.Events(ctx, o.ID)
}

func lookupError(err error, notFoundKey string) error {
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return newError(KindNotFound, notFoundKey, err)
	}
	return newError(KindInternal, msgInternal, err)
}

func (s *Service) newToken() (string, error) {
	b := make([]byte, 16) // 128 bits: the payment page's only protection
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func exchangeEvent(kind string, x *wxpay.Exchange, ok bool, summary, actor string) *models.OrderEvent {
	ev := &models.OrderEvent{Kind: kind, OK: ok, Summary: summary, Actor: actor}
	if x != nil {
		ev.Request, ev.Response = string(x.Request), string(x.Response)
	}
	return ev
}

// Watch streams the order's status changes until cancel is called.
func (s *Service) Watch(no string) (<-chan models.OrderStatus, func()) { return s.broker.Subscribe(no) }

// WatchFunc calls fn (which must return at once) on each status change of
// the order until cancel is called.
func (s *Service) WatchFunc(no string, fn func(models.OrderStatus)) (cancel func()) {
	return s.broker.SubscribeFunc(no, fn)
}
