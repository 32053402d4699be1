package handlers

import (
	"context"
	"strconv"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
)

// Gateway is what the merchant gateway's endpoints (SPEC §6) need of the
// business; *checkout.Service has it.
type Gateway interface {
	// VerifyEpay authenticates an epay request by its pid and sign.
	VerifyEpay(ctx context.Context, params map[string]string) (*models.MerchantApp, error)
	// VerifyAppKey authenticates a merchant by pid and key.
	VerifyAppKey(ctx context.Context, pid, key string) (*models.MerchantApp, error)
	PlaceGatewayOrder(ctx context.Context, r checkout.GatewayRequest) (o *models.Order, created bool, err error)
	// MerchantOrder finds one of app's orders by trade_no, or else by the
	// merchant's out_trade_no.
	MerchantOrder(ctx context.Context, app *models.MerchantApp, tradeNo, outTradeNo string) (*models.Order, error)
	CloseGatewayOrder(ctx context.Context, app *models.MerchantApp, tradeNo string) (*models.Order, error)
	// GatewayOrder is an order as the JSON API shows it.
	GatewayOrder(o *models.Order) gateway.Order
	// ReturnURL is where a paid gateway order's receipt sends the shopper;
	// "" when nowhere.
	ReturnURL(ctx context.Context, o *models.Order) (string, error)
	App(ctx context.Context, pid int64) (*models.MerchantApp, error)
	// PublicURL is the site's base URL, for absolute links.
	PublicURL() string
	// Refund starts a refund of an order (SPEC §8); Refunds lists an
	// order's refunds, oldest first.
	Refund(ctx context.Context, r checkout.RefundRequest) (ref *models.Refund, created bool, err error)
	Refunds(ctx context.Context, o *models.Order) ([]models.Refund, error)
}

// defaultGatewayRate is GATEWAY_RATE_PER_APP's default: orders a minute.
const defaultGatewayRate = 600

// gatewayBurst lets a merchant app create a tenth of its minute at once.
func gatewayBurst(perMinute int) int { return max(1, perMinute/10) }

// allowGatewayOrder takes one of app's order tokens; false when the app is
// over GATEWAY_RATE_PER_APP. Gateway limits count per app, never per client
// address: a shop's server sends every shopper's orders from one address.
func (h *Handler) allowGatewayOrder(app *models.MerchantApp) bool {
	return h.gatewayRate.allow(strconv.FormatInt(app.Pid, 10))
}
