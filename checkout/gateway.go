package checkout

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The merchant gateway (SPEC §6): orders that shop systems create through
// epay or the JSON API. They share the shop's orders, payment page and
// single path to PAID; what is theirs is the merchant app, the merchant's
// own fields, and the notifications owed to the merchant.

// Limits of a merchant's fields.
const (
	maxMerchantTradeNo = 64  // characters
	maxItemName        = 127 // characters
	maxParam           = 512 // bytes: the column's size
	minGatewayTTL      = time.Minute
	maxGatewayTTL      = 2 * time.Hour // code_url itself is valid 2 hours
	maxBody            = 127           // bytes WeChat takes in body
)

// GatewayRequest is a merchant's order, from epay or the JSON API, already
// authenticated as App's.
type GatewayRequest struct {
	App        *models.MerchantApp
	OutTradeNo string
	Name       string
	Amount     models.Money
	NotifyURL  string
	ReturnURL  string
	Param      string
	Style      models.NotifyStyle
	// TTL is how long the order stays payable; 0 means ORDER_TTL.
	TTL      time.Duration
	ClientIP string
	// NeedReturnURL: submit.php sends the shopper back, so it must have one.
	NeedReturnURL bool
	// TradeType is how the merchant's client pays (SPEC §9): "" or NATIVE
	// (the payment page), APP (the merchant's app) or JSAPI (its mini
	// program, with OpenID).
	TradeType string
	OpenID    string
}

// PlaceGatewayOrder creates a merchant's order and places it with WeChat.
// The same merchant order again with the same amount returns that order,
// unchanged (created false; the repeat's other fields are ignored); with
// another amount it is refused and nothing changes. Invalid input creates
// nothing.
func (s *Service) PlaceGatewayOrder(ctx context.Context, r GatewayRequest) (o *models.Order, created bool, err error) {
	if err := s.checkGatewayRequest(ctx, &r); err != nil {
		return nil, false, err
	}
	o, err = s.newGatewayOrder(r)
	if err != nil {
		return nil, false, newError(KindInternal, msgInternal, err)
	}
	existing, err := s.store.CreateGatewayOrder(ctx, o, &models.OrderEvent{Kind: models.EventCreated, OK: true,
		Actor: fmt.Sprintf("app:%d", r.App.Pid), Summary: fmt.Sprintf("gateway order %s of app %d (%s): ¥%s, expires %s",
			clip(r.OutTradeNo), r.App.Pid, r.Style, o.TotalFee.Yuan(), wxpay.FormatTime(o.ExpiresAt))})
	switch {
	case err != nil:
		return nil, false, newError(KindInternal, msgInternal, err)
	case existing != nil && existing.TotalFee != r.Amount:
		return nil, false, newError(KindConflict, msgGwDuplicate, fmt.Errorf("app %d order %s exists with ¥%s, not ¥%s",
			r.App.Pid, clip(r.OutTradeNo), existing.TotalFee.Yuan(), r.Amount.Yuan()))
	case existing != nil && existing.Status.Open() && existing.Prepay == models.PrepayPending:
		// A concurrent submission is placing it, or a crash left it
		// unplaced: re-entering unifiedorder with the same fields is safe.
		o, err = s.prepay(ctx, existing, fmt.Sprintf("app:%d", r.App.Pid))
		return o, false, err
	case existing != nil && existing.Status == models.StatusFailed:
		return existing, false, newError(KindUpstream, msgGwFailed, nil, clip(existing.FailReason))
	case existing != nil:
		return existing, false, nil
	}
	o, err = s.prepay(ctx, o, fmt.Sprintf("app:%d", r.App.Pid))
	return o, true, err
}

func (s *Service) checkGatewayRequest(ctx context.Context, r *GatewayRequest) error {
	missing := func(field string) error { return newError(KindInvalid, msgGwMissing, nil, field) }
	switch {
	case r.OutTradeNo == "":
		return missing("out_trade_no")
	case r.Name == "":
		return missing("name")
	case r.NotifyURL == "" && r.Style == models.NotifyEpay:
		return missing("notify_url")
	case r.ReturnURL == "" && r.NeedReturnURL:
		return missing("return_url")
	}
	switch r.TradeType {
	case "", wxpay.TradeNative, wxpay.TradeAPP:
		r.OpenID = ""
	case wxpay.TradeJSAPI:
		if r.OpenID == "" {
			return newError(KindInvalid, msgMissingOpenID, nil)
		}
		if len(r.OpenID) > 128 || !signableText(r.OpenID, 128) {
			return newError(KindInvalid, msgGwMissing, nil, "openid")
		}
	default:
		return newError(KindInvalid, msgTradeType, nil)
	}
	if !validMerchantTradeNo(r.OutTradeNo) {
		return newError(KindInvalid, msgGwOutTradeNo, nil, maxMerchantTradeNo)
	}
	if !signableText(r.Name, maxItemName) {
		return newError(KindInvalid, msgGwName, nil, maxItemName)
	}
	if len(r.Param) > maxParam || r.Param != "" && !signableText(r.Param, maxParam) {
		return newError(KindInvalid, msgGwParam, nil, maxParam)
	}
	if r.Amount <= 0 || r.Amount > maxGatewayAmount {
		return newError(KindInvalid, msgGwMoney, nil)
	}
	if r.TTL == 0 {
		r.TTL = s.set.OrderTTL
	}
	if r.TTL < minGatewayTTL || r.TTL > maxGatewayTTL {
		return newError(KindInvalid, msgGwExpire, nil, int(minGatewayTTL.Seconds()), int(maxGatewayTTL.Seconds()))
	}
	if r.NotifyURL != "" {
		if err := gateway.CheckNotifyURL(ctx, r.NotifyURL, s.set.AllowPrivateNotify, s.set.Resolver); err != nil {
			return newError(KindInvalid, msgGwNotifyURL, err, urlProblem(err))
		}
	}
	if r.ReturnURL != "" {
		if _, err := gateway.ParseCallbackURL(r.ReturnURL); err != nil {
			return newError(KindInvalid, msgGwReturnURL, err, urlProblem(err))
		}
	}
	return nil
}

// maxGatewayAmount is the most one gateway order may ask: ¥1,000,000.
const maxGatewayAmount models.Money = 100_000_000

// urlProblem says, in a word, what is wrong with a callback URL; the
// merchant's text is not repeated.
func urlProblem(err error) string {
	switch {
	case errors.Is(err, gateway.ErrForbiddenAddress):
		return "private"
	case errors.Is(err, gateway.ErrBadURL):
		return "form"
	}
	return "dns"
}

// validMerchantTradeNo: 1–64 printable ASCII characters without spaces, as
// every shop system's order numbers are; anything else would be changed by
// one of the plugins (trimmed, unescaped) before it checks our signature.
func validMerchantTradeNo(s string) bool {
	if len(s) < 1 || len(s) > maxMerchantTradeNo {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == '\\' {
			return false
		}
	}
	return true
}

// signableText is text the merchant's plugin will verify a signature over
// exactly as we send it back: valid UTF-8, at most max characters, no
// control characters, no backslash (v2board strips them before checking)
// and no leading or trailing space (Laravel shops trim them).
func signableText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || strings.TrimSpace(s) != s {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\\' })
}

func (s *Service) newGatewayOrder(r GatewayRequest) (*models.Order, error) {
	now := s.now().UTC().Truncate(time.Second)
	no, err := wxpay.NewOutTradeNo(now, s.rand)
	if err != nil {
		return nil, err
	}
	token, err := s.newToken()
	if err != nil {
		return nil, err
	}
	mno := r.OutTradeNo
	tt, appID := r.TradeType, ""
	switch tt {
	case "":
		tt = wxpay.TradeNative
	case wxpay.TradeJSAPI:
		if mini := s.miniAppID(); mini != s.set.Devices.AppID {
			appID = mini
		}
	}
	return &models.Order{
		TradeType: tt, AppID: appID, OpenID: r.OpenID,
		OutTradeNo: no, Token: token, SKU: fmt.Sprintf("app%d", r.App.Pid), Body: cutBytes(r.Name, maxBody),
		Quantity: 1, UnitPrice: r.Amount, TotalFee: r.Amount,
		Status: models.StatusNotPay, Prepay: models.PrepayPending, ClientIP: r.ClientIP,
		TimeStart: now, ExpiresAt: now.Add(r.TTL), NextQueryAt: now.Add(firstQueryAfter), CreatedAt: now,
		Merchant: models.Merchant{AppPid: r.App.Pid, MerchantTradeNo: &mno, ItemName: r.Name,
			NotifyURL: r.NotifyURL, ReturnURL: r.ReturnURL, Param: r.Param, NotifyStyle: r.Style},
	}, nil
}

// cutBytes cuts s to at most n bytes on a character boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// GatewayApp is the enabled merchant app of pid as a merchant wrote it.
func (s *Service) GatewayApp(ctx context.Context, pidText string) (*models.MerchantApp, error) {
	if pidText == "" {
		return nil, newError(KindInvalid, msgGwMissing, nil, "pid")
	}
	pid, err := gateway.ParsePid(pidText)
	if err != nil {
		return nil, newError(KindUnauthorized, msgGwPid, err)
	}
	a, err := s.store.AppByPid(ctx, pid)
	switch {
	case err != nil && isNotFound(err):
		return nil, newError(KindUnauthorized, msgGwPid, err)
	case err != nil:
		return nil, newError(KindInternal, msgInternal, err)
	case !a.Enabled:
		return nil, newError(KindUnauthorized, msgGwDisabled, nil)
	}
	return a, nil
}

// VerifyEpay authenticates an epay request: its pid names an enabled app
// and its sign is that app's.
func (s *Service) VerifyEpay(ctx context.Context, params map[string]string) (*models.MerchantApp, error) {
	a, err := s.GatewayApp(ctx, params["pid"])
	if err != nil {
		return nil, err
	}
	if params["sign"] == "" {
		return nil, newError(KindInvalid, msgGwMissing, nil, "sign")
	}
	if err := gateway.EpayVerify(params, a.Key); err != nil {
		return nil, newError(KindUnauthorized, msgGwSign, err)
	}
	return a, nil
}

// VerifyAppKey authenticates a merchant by pid and key (api.php, the JSON
// API's Basic auth). The comparison takes constant time.
func (s *Service) VerifyAppKey(ctx context.Context, pidText, key string) (*models.MerchantApp, error) {
	a, err := s.GatewayApp(ctx, pidText)
	if err != nil {
		return nil, err
	}
	if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(a.Key)) != 1 {
		return nil, newError(KindUnauthorized, msgGwKey, nil)
	}
	return a, nil
}

// MerchantOrder finds one of app's orders by wxcheckout's trade_no or, when
// that is empty, by the merchant's out_trade_no. Another app's order, or a
// shop order, is not found.
func (s *Service) MerchantOrder(ctx context.Context, app *models.MerchantApp, tradeNo, outTradeNo string) (*models.Order, error) {
	var o *models.Order
	var err error
	switch {
	case tradeNo != "":
		o, err = s.store.OrderByOutTradeNo(ctx, tradeNo)
	case outTradeNo != "":
		o, err = s.store.OrderByMerchant(ctx, app.Pid, outTradeNo)
	default:
		return nil, newError(KindInvalid, msgGwMissing, nil, "trade_no")
	}
	if err == nil && o.AppPid != app.Pid {
		err = fmt.Errorf("order %s is not app %d's", clip(tradeNo), app.Pid)
		return nil, newError(KindNotFound, msgGwNotFound, err)
	}
	return o, lookupError(err, msgGwNotFound)
}

// CloseGatewayOrder closes one of app's unpaid orders, at WeChat first.
func (s *Service) CloseGatewayOrder(ctx context.Context, app *models.MerchantApp, tradeNo string) (*models.Order, error) {
	o, err := s.MerchantOrder(ctx, app, tradeNo, "")
	if err != nil {
		return nil, err
	}
	return s.Close(ctx, o.OutTradeNo, fmt.Sprintf("app:%d", app.Pid))
}

// PublicURL is the site's base URL, for links the gateway hands out.
func (s *Service) PublicURL() string { return s.set.PublicURL }

// GatewayOrder is o as the JSON API shows it.
func (s *Service) GatewayOrder(o *models.Order) gateway.Order {
	return gateway.NewOrder(o, s.set.PublicURL, s.now())
}

// ReturnURL is where the receipt of a paid gateway order sends the shopper:
// its return_url with the signed epay parameters; "" when there is none.
func (s *Service) ReturnURL(ctx context.Context, o *models.Order) (string, error) {
	if !o.Gateway() || o.ReturnURL == "" || !o.Status.Paid() {
		return "", nil
	}
	a, err := s.store.AppByPid(ctx, o.AppPid)
	if err != nil {
		return "", lookupError(err, msgAppNotFound)
	}
	u, err := gateway.ReturnURL(o.ReturnURL, gateway.EpayNotifyParams(gateway.EpayOrderOf(o), a.Key))
	if err != nil {
		return "", newError(KindInvalid, msgGwReturnURL, err, urlProblem(err))
	}
	return u, nil
}

// notices are the merchant notifications an order owes for an event of
// type typ, to be written with the change that causes it: an epay GET for
// a paid epay order, a webhook for any event of an API order with a
// notify_url.
func (s *Service) notices(o models.Order, typ string, refund ...gateway.RefundObject) []*models.Delivery {
	if o.NotifyURL == "" {
		return nil
	}
	now := s.now().UTC()
	id, err := s.eventID()
	if err != nil {
		s.log.Error("merchant notification id", "out_trade_no", o.OutTradeNo, "err", err)
		return nil
	}
	d := &models.Delivery{EventID: id, Style: o.NotifyStyle, Type: typ, URL: o.NotifyURL,
		State: models.DeliveryPending, NextAt: now, CreatedAt: now, UpdatedAt: now}
	switch {
	case o.NotifyStyle == models.NotifyEpay && typ == models.TypeOrderPaid:
		d.Payload = gateway.EpayUnsigned(gateway.EpayOrderOf(&o)).Encode()
	case o.NotifyStyle == models.NotifyWebhook:
		data := gateway.NewOrder(&o, s.set.PublicURL, now)
		if len(refund) > 0 {
			data.Refund = &refund[0]
		}
		body, err := json.Marshal(gateway.Event{ID: id, Type: typ, CreatedAt: gateway.RFC3339(now), Data: data})
		if err != nil {
			s.log.Error("webhook body", "out_trade_no", o.OutTradeNo, "err", err)
			return nil
		}
		d.Payload = string(body)
	default:
		return nil
	}
	return []*models.Delivery{d}
}

// eventID is a webhook event's id: "evt_" and 24 random characters.
func (s *Service) eventID() (string, error) {
	t, err := s.newToken()
	if err != nil {
		return "", err
	}
	return "evt_" + t[:min(len(t), 24)], nil
}

// ClientPayment is what a merchant's own client pays a gateway order with
// (SPEC §9): app_params for TradeAPP, pay_params for TradeJSAPI (the mini
// program's), each signed afresh. An order placed with another trade type
// gets a further WeChat order of this one.
func (s *Service) ClientPayment(ctx context.Context, o *models.Order, tradeType, openID string) (map[string]string, error) {
	w := Way{TradeType: tradeType, OpenID: openID}
	if tradeType == wxpay.TradeJSAPI {
		w.AppID = s.miniAppID()
	}
	x, err := s.PayWith(ctx, o, w)
	if err != nil {
		return nil, err
	}
	return s.ClientParams(x)
}
