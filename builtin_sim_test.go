package main

import (
	"context"
	"errors"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/wxpay"
)

// builtinSimClient is a WeChat Pay client for the app's own simulator,
// with the app's merchant credentials.
func builtinSimClient(t testing.TB, a *app) *wxpay.Client {
	t.Helper()
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: a.URL() + "/sim", AppID: a.cfg.AppID, MchID: a.cfg.MchID,
		APIKey: a.cfg.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func simOrder(no, notifyURL string) *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{Body: "test", OutTradeNo: no, TotalFee: 1, SpbillCreateIP: "127.0.0.1",
		NotifyURL: notifyURL, ProductID: "p1"}
}

// The built-in simulator is reachable by anyone who reaches the shop; it
// must not become a way to make the server POST to an address of their
// choosing.
func TestBuiltinSimulatorNotifiesOnlyTheShop(t *testing.T) {
	a := startApp(t, nil)
	c := builtinSimClient(t, a)
	ctx := context.Background()
	if _, err := c.UnifiedOrder(ctx, simOrder("SSRF-0001", "http://127.0.0.1:1/internal")); err == nil {
		t.Error("unifiedorder with a notify_url elsewhere was accepted")
	} else if we := (*wxpay.Error)(nil); !errors.As(err, &we) || we.ErrCode != wxpay.CodeInvalidRequest {
		t.Errorf("unifiedorder with a notify_url elsewhere: %v, want INVALID_REQUEST", err)
	}
	if _, err := c.UnifiedOrder(ctx, simOrder("SSRF-0002", a.cfg.NotifyEndpoint())); err != nil {
		t.Errorf("unifiedorder with the shop's notify_url: %v", err)
	}
}

// The built-in simulator keeps its orders in the shop's database: after a
// restart an open order is still NOTPAY at "WeChat", not ORDERNOTEXIST.
func TestBuiltinSimulatorKeepsOrdersAcrossRestart(t *testing.T) {
	env := map[string]string{"DATABASE_URL": testrig.DatabaseURL(t)}
	ctx := context.Background()
	a, stop := launchApp(t, env)
	if _, err := builtinSimClient(t, a).UnifiedOrder(ctx, simOrder("RESTART-0001", a.cfg.NotifyEndpoint())); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("app shutdown: %v", err)
	}
	a = startApp(t, env)
	q, err := builtinSimClient(t, a).OrderQuery(ctx, "RESTART-0001")
	if err != nil || q.TradeState != wxpay.TradeNotPay {
		t.Errorf("orderquery after restart = %v, %v; want NOTPAY", q, err)
	}
}
