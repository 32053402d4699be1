package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
	"wxcheckout/wxpay"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// PlaceRequest is what the shopper chose. The amount is never part of it:
// it comes from the products' prices in the database.
type PlaceRequest struct {
	// Lines are the products and quantities of a cart; SKU and Quantity
	// are one line (the shop's "buy" button), used when Lines is empty.
	Lines    []Line
	SKU      string
	Quantity int
	// Buyer is what the shopper told of themselves; checked against the
	// details the owner asks for (ShopSettings.Ask).
	Buyer    models.Buyer
	ClientIP string
	// ClientKey is what per-client limits count (the IP, or an IPv6 /64);
	// ClientIP when empty.
	ClientKey string
}

// Line is one product of a cart and how many.
type Line struct {
	SKU      string
	Quantity int
}

func (r PlaceRequest) lines() []Line {
	if len(r.Lines) > 0 {
		return r.Lines
	}
	return []Line{{SKU: r.SKU, Quantity: r.Quantity}}
}

// PlaceOrder creates an order, calls unifiedorder and returns the order with
// its code_url. On failure the order is kept as FAILED with the reason.
func (s *Service) PlaceOrder(ctx context.Context, r PlaceRequest) (*models.Order, error) {
	o, err := s.draftOrder(ctx, r, false)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateOrder(ctx, o, createdEvent(o)); err != nil {
		return nil, storeError(err)
	}
	return s.prepay(ctx, o, "shopper")
}

// draftOrder checks a request and builds its order, not yet stored.
// A renewal keeps the buyer's details as they were told, and its stock is
// the store's to pass on or take (see quote).
func (s *Service) draftOrder(ctx context.Context, r PlaceRequest, renewal bool) (*models.Order, error) {
	q, err := s.quote(ctx, r.lines(), !renewal)
	if err != nil {
		return nil, err
	}
	buyer := r.Buyer.Normalize()
	if !renewal {
		if err := invalidFields(buyer.Validate(s.ShopSettings(ctx).Ask)); err != nil {
			return nil, err
		}
	}
	if r.ClientKey == "" {
		r.ClientKey = r.ClientIP
	}
	if err := s.checkOpenOrders(ctx, r.ClientKey); err != nil {
		return nil, err
	}
	o, err := s.newOrder(q, r)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	o.Buyer = buyer
	return o, nil
}

// storeError is the error of a failed order creation: sold out (another
// checkout took the last ones since the quote), or internal.
func storeError(err error) error {
	var so *store.SoldOutError
	if errors.As(err, &so) {
		return newError(KindConflict, msgSoldOut, err, so.Name)
	}
	return newError(KindInternal, msgInternal, err)
}

func createdEvent(o *models.Order) *models.OrderEvent {
	return &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper",
		Summary: fmt.Sprintf("%s × %d = ¥%s, expires %s", o.SKU, o.Quantity, o.TotalFee.Yuan(), wxpay.FormatTime(o.ExpiresAt))}
}

func (s *Service) newOrder(q *Quote, r PlaceRequest) (*models.Order, error) {
	// WeChat times have one-second resolution; truncating keeps the stored
	// times identical to what was sent, so a re-entry sends the same fields.
	now := s.now().UTC().Truncate(time.Second)
	no, err := wxpay.NewOutTradeNo(now, s.rand)
	if err != nil {
		return nil, err
	}
	token, err := s.newToken()
	if err != nil {
		return nil, err
	}
	first := q.Items[0]
	o := &models.Order{
		OutTradeNo: no, Token: token, ProductID: first.ProductID, SKU: first.SKU, Body: q.Body(), TradeType: wxpay.TradeNative,
		Quantity: q.Count(), UnitPrice: first.UnitPrice, TotalFee: q.Total, Items: q.Items, Detail: q.Detail(),
		Status: models.StatusNotPay, Prepay: models.PrepayPending, ClientIP: r.ClientIP, ClientKey: r.ClientKey,
		TimeStart: now, ExpiresAt: now.Add(s.set.OrderTTL), NextQueryAt: now.Add(firstQueryAfter), CreatedAt: now,
	}
	if len(q.Items) > 1 {
		o.UnitPrice = 0 // several products: the lines have the prices
	}
	return o, nil
}

// unifiedOrderRequest is built only from stored fields, so that a retry or a
// recovery after a crash re-enters with exactly the fields first sent.
func (s *Service) unifiedOrderRequest(o *models.Order) *wxpay.UnifiedOrderRequest {
	r := &wxpay.UnifiedOrderRequest{
		TradeType: o.TradeType, AppID: o.AppID, Body: o.Body, OutTradeNo: o.OutTradeNo, TotalFee: int64(o.TotalFee),
		SpbillCreateIP: s.set.ServerIP, NotifyURL: s.set.NotifyURL, ProductID: o.SKU, Detail: o.Detail,
		TimeStart: o.TimeStart, TimeExpire: o.ExpiresAt,
	}
	switch o.TradeType {
	case wxpay.TradeJSAPI:
		r.OpenID, r.ProductID = o.OpenID, ""
	case wxpay.TradeAPP:
		r.ProductID = ""
	}
	return r
}

// prepay calls unifiedorder for a pending order, retrying once with identical
// fields when the outcome is unknown or WeChat answers SYSTEMERROR.
func (s *Service) prepay(ctx context.Context, o *models.Order, actor string) (*models.Order, error) {
	req := s.unifiedOrderRequest(o)
	var resp *wxpay.UnifiedOrderResponse
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		resp, err = s.wx.UnifiedOrder(ctx, req)
		s.recordCall(ctx, o, models.EventUnifiedOrder, err, wxExchange(resp, err), actor, attempt)
		if err == nil || !wxpay.IsRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err == nil {
		o, _, uerr := s.update(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
			return cur.Prepaid(resp.CodeURL, resp.PrepayID)
		})
		if uerr != nil {
			return nil, newError(KindInternal, msgInternal, uerr)
		}
		return o, nil
	}
	if wxpay.IsOrderPaid(err) {
		// Only possible on re-entry: the shopper paid before we heard back.
		if qerr := s.Sync(ctx, o.OutTradeNo, actor); qerr != nil {
			return nil, qerr
		}
		return s.OrderByOutTradeNo(ctx, o.OutTradeNo)
	}
	reason := "unifiedorder: " + clip(err.Error())
	if _, _, ferr := s.update(ctx, o.OutTradeNo, func(cur models.Order) models.Change { return cur.Fail(reason, actor) }); ferr != nil {
		s.log.Error("mark order failed", "out_trade_no", o.OutTradeNo, "err", ferr)
	}
	if wxpay.IsTransport(err) {
		return nil, newError(KindUpstream, msgWeChatDown, err)
	}
	return nil, newError(KindUpstream, msgWeChatRefused, err, wxErrorText(err))
}

// wxErrorText is what WeChat said, fit to show: never the internal cause.
func wxErrorText(err error) string {
	var we *wxpay.Error
	if errors.As(err, &we) {
		if we.ErrCode != "" {
			return clip(we.ErrCode + " " + we.ErrCodeDes)
		}
		return clip(we.ReturnMsg)
	}
	return "unknown"
}

// checkOpenOrders refuses a client that already holds as many unpaid,
// unexpired orders as it may: each is a payable code at WeChat.
func (s *Service) checkOpenOrders(ctx context.Context, key string) error {
	if s.set.MaxOpenOrdersPerClient <= 0 || key == "" {
		return nil
	}
	n, err := s.store.CountOpenOrders(ctx, key, s.now())
	if err != nil {
		return newError(KindInternal, msgInternal, err)
	}
	if n >= int64(s.set.MaxOpenOrdersPerClient) {
		return newError(KindLimited, msgOpenOrders, fmt.Errorf("client %s holds %d open orders", key, n))
	}
	return nil
}
