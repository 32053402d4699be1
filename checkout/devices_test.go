package checkout_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// deviceWx is WeChat for the ways beyond the QR (SPEC §9). The simulator
// on this branch places NATIVE orders only, so the rig's real client keeps
// those (and signs client parameters and verifies notifications), while
// unifiedorder of JSAPI, MWEB and APP is answered here, and orderquery and
// closeorder of the WeChat orders placed here too: paid when a test says.
// Every call is recorded.
type deviceWx struct {
	*wxpay.Client
	mu      sync.Mutex
	placed  []wxpay.UnifiedOrderRequest // unifiedorder calls answered here
	natives int                         // unifiedorder calls passed to the simulator
	fee     map[string]int64            // out_trade_no placed here → total_fee
	paid    map[string]string           // out_trade_no placed here and paid → transaction_id
	queried []string
	closed  []string
	refunds []wxpay.RefundRequest
}

func newDeviceWx(c *wxpay.Client) *deviceWx {
	return &deviceWx{Client: c, fee: map[string]int64{}, paid: map[string]string{}}
}

func (f *deviceWx) UnifiedOrder(ctx context.Context, r *wxpay.UnifiedOrderRequest) (*wxpay.UnifiedOrderResponse, error) {
	if r.TradeType == "" || r.TradeType == wxpay.TradeNative {
		f.mu.Lock()
		f.natives++
		f.mu.Unlock()
		return f.Client.UnifiedOrder(ctx, r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.placed = append(f.placed, *r)
	f.fee[r.OutTradeNo] = r.TotalFee
	resp := &wxpay.UnifiedOrderResponse{PrepayID: "wx" + r.OutTradeNo}
	if r.TradeType == wxpay.TradeMWEB {
		resp.MwebURL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + resp.PrepayID + "&package=1037687096"
	}
	return resp, nil
}

func (f *deviceWx) OrderQuery(ctx context.Context, no string) (*wxpay.OrderQueryResponse, error) {
	f.mu.Lock()
	f.queried = append(f.queried, no)
	fee, mine := f.fee[no]
	tid, paid := f.paid[no]
	f.mu.Unlock()
	switch {
	case !mine:
		return f.Client.OrderQuery(ctx, no)
	case !paid:
		return &wxpay.OrderQueryResponse{TradeState: string(models.TradeNotPay), OutTradeNo: no}, nil
	}
	return &wxpay.OrderQueryResponse{TradeState: string(models.TradeSuccess), OutTradeNo: no, TransactionID: tid,
		TotalFee: fee, CashFee: fee, TimeEnd: time.Date(2026, 11, 22, 18, 3, 0, 0, wxpay.Beijing()), OpenID: "oPayer", BankType: "CMC"}, nil
}

func (f *deviceWx) CloseOrder(ctx context.Context, no string) (*wxpay.CloseOrderResponse, error) {
	f.mu.Lock()
	_, mine := f.fee[no]
	f.closed = append(f.closed, no)
	f.mu.Unlock()
	if !mine {
		return f.Client.CloseOrder(ctx, no)
	}
	return &wxpay.CloseOrderResponse{}, nil
}

func (f *deviceWx) Refund(_ context.Context, r *wxpay.RefundRequest) (*wxpay.RefundResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds = append(f.refunds, *r)
	return &wxpay.RefundResponse{RefundID: "5030" + r.OutRefundNo, Status: wxpay.RefundProcessing}, nil
}

func (f *deviceWx) RefundQuery(_ context.Context, no string) (*wxpay.RefundQueryResponse, error) {
	return &wxpay.RefundQueryResponse{OutRefundNo: no, RefundID: "5030" + no, Status: wxpay.RefundProcessing}, nil
}

// pay marks a WeChat order placed here paid, as the shopper's WeChat would.
func (f *deviceWx) pay(no, transactionID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paid[no] = transactionID
}

func (f *deviceWx) calls() []wxpay.UnifiedOrderRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wxpay.UnifiedOrderRequest(nil), f.placed...)
}

func (f *deviceWx) queriedNos() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queried...)
}

// deviceSNS is WeChat's login: codes named "code-<openid>" are good once.
type deviceSNS struct {
	mu   sync.Mutex
	used map[string]bool
}

func (s *deviceSNS) AuthorizeURL(appID, redirectURI, state string) string {
	return "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + appID + "&redirect_uri=" + redirectURI +
		"&response_type=code&scope=snsapi_base&state=" + state + "#wechat_redirect"
}

func (s *deviceSNS) OAuthOpenID(_ context.Context, appID, secret, code string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	openid, ok := strings.CutPrefix(code, "code-")
	if !ok || s.used[code] || appID != wxpaysim.DemoAppID || secret == "" {
		return "", fmt.Errorf("sns: errcode 40029 invalid code: %w", checkout.ErrInvalidCode)
	}
	if s.used == nil {
		s.used = map[string]bool{}
	}
	s.used[code] = true
	return openid, nil
}

func (s *deviceSNS) MiniOpenID(ctx context.Context, appID, secret, code string) (string, error) {
	return s.OAuthOpenID(ctx, appID, secret, code)
}

// devicesRig is the rig plus a service with JSAPI and H5 turned on whose
// WeChat is f. The rig's clock reads in Asia/Shanghai.
func devicesRig(t *testing.T) (*testrig.Rig, *checkout.Service, *deviceWx) {
	t.Helper()
	r := testrig.New(t, testrig.Options{})
	f := newDeviceWx(r.WeChat)
	svc := checkout.New(checkout.Deps{Store: r.Store, WeChat: f, SNS: &deviceSNS{}, Now: r.Clock.Now,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1",
			RefundNotifyURL: r.App.URL + "/wxpay/refund-notify", PublicURL: r.App.URL, AllowPrivateNotify: true,
			Devices: checkout.Devices{AppID: wxpaysim.DemoAppID, MPSecret: "mp-app-secret", H5: true, SiteName: "测试商店"}}})
	return r, svc, f
}

func placeWith(t *testing.T, svc *checkout.Service) *models.Order {
	t.Helper()
	o, err := svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func jsapi(openid string) checkout.Way {
	return checkout.Way{TradeType: wxpay.TradeJSAPI, OpenID: openid}
}

func mweb(ip string) checkout.Way { return checkout.Way{TradeType: wxpay.TradeMWEB, ClientIP: ip} }

func TestPayWithJSAPIPlacesAWeChatOrderOfItsOwnPerPayer(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	if !svc.JSAPIEnabled() || !svc.H5Enabled() {
		t.Fatal("JSAPI and H5 configured but not enabled")
	}
	o := placeWith(t, svc)
	r.Clock.Advance(30 * time.Second)
	x, err := svc.PayWith(ctx, o, jsapi("oAlice"))
	if err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	if len(calls) != 1 {
		t.Fatalf("%d unifiedorder calls, want 1", len(calls))
	}
	req := calls[0]
	if req.TradeType != wxpay.TradeJSAPI || req.OpenID != "oAlice" || req.OutTradeNo == o.OutTradeNo ||
		!wxpay.ValidOutTradeNo(req.OutTradeNo) || req.TotalFee != int64(o.TotalFee) || req.NotifyURL != r.App.URL+"/wxpay/notify" {
		t.Errorf("unifiedorder %+v; want JSAPI for oAlice, a new out_trade_no (the order's is %s), ¥58.00", req, o.OutTradeNo)
	}
	if !req.TimeExpire.Equal(o.ExpiresAt) {
		t.Errorf("time_expire %v, want the order's %v", req.TimeExpire, o.ExpiresAt)
	}
	if req.AppID != "" {
		t.Errorf("appid %q, want the official account's (empty: the client's)", req.AppID)
	}
	if x.OutTradeNo != req.OutTradeNo || x.TradeType != wxpay.TradeJSAPI || x.OpenID != "oAlice" ||
		x.PrepayID != "wx"+req.OutTradeNo || x.Prepay != models.PrepayDone || x.OrderID != o.ID {
		t.Errorf("WxOrder %+v does not record the placement", x)
	}

	again, err := svc.PayWith(ctx, o, jsapi("oAlice"))
	if err != nil || again.OutTradeNo != x.OutTradeNo || len(f.calls()) != 1 {
		t.Errorf("the same payer again: %v %v, %d calls; want the same WeChat order and no new call", again, err, len(f.calls()))
	}
	bob, err := svc.PayWith(ctx, o, jsapi("oBob"))
	if err != nil || bob.OutTradeNo == x.OutTradeNo || bob.OutTradeNo == o.OutTradeNo || len(f.calls()) != 2 {
		t.Errorf("another payer: %v %v, %d calls; want a new WeChat order", bob, err, len(f.calls()))
	}

	// The second signature: signed afresh for the official account's appid.
	p, err := svc.ClientParams(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"} {
		if p[k] == "" {
			t.Errorf("pay_params lack %s: %v", k, p)
		}
	}
	if len(p) != 6 || p["appId"] != wxpaysim.DemoAppID || p["package"] != "prepay_id="+x.PrepayID {
		t.Errorf("pay_params %v", p)
	}
	unsigned := wxpay.Params{}
	for k, v := range p {
		if k != "paySign" {
			unsigned[k] = v
		}
	}
	st, err := wxpay.ParseSignType(p["signType"])
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := wxpay.Sign(unsigned, wxpaysim.DemoAPIKey, st); p["paySign"] != want {
		t.Errorf("paySign %s, want %s", p["paySign"], want)
	}

	if _, err := svc.PayWith(ctx, o, checkout.Way{TradeType: wxpay.TradeJSAPI}); checkout.KindOf(err) != checkout.KindInvalid {
		t.Errorf("JSAPI without an openid: %v, want KindInvalid", err)
	}
	if _, err := svc.PayWith(ctx, o, checkout.Way{TradeType: "MICROPAY"}); checkout.KindOf(err) != checkout.KindInvalid {
		t.Errorf("an unknown trade type: %v, want KindInvalid", err)
	}
	if n := len(f.calls()); n != 2 {
		t.Errorf("%d unifiedorder calls after refused ways, want 2", n)
	}
	// The order's own WeChat order and its status are untouched.
	if got := r.Order(t, o.OutTradeNo); got.CodeURL != o.CodeURL || got.Status != models.StatusNotPay {
		t.Errorf("order after PayWith: %s code_url %q", got.Status, got.CodeURL)
	}
}

func TestPayWithMWEBIsBoundToTheShoppersIPForFourMinutes(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	o := placeWith(t, svc)
	x, err := svc.PayWith(ctx, o, mweb("203.0.113.7"))
	if err != nil {
		t.Fatal(err)
	}
	req := f.calls()[0]
	if req.TradeType != wxpay.TradeMWEB || req.SpbillCreateIP != "203.0.113.7" || req.OpenID != "" ||
		!strings.Contains(req.SceneInfo, `"h5_info"`) || !strings.Contains(req.SceneInfo, "测试商店") {
		t.Errorf("unifiedorder %+v; want MWEB from the shopper's IP with scene_info", req)
	}
	if !req.TimeExpire.Equal(o.ExpiresAt) || req.OutTradeNo == o.OutTradeNo {
		t.Errorf("time_expire %v (order's %v), out_trade_no %s", req.TimeExpire, o.ExpiresAt, req.OutTradeNo)
	}
	if !strings.HasPrefix(x.PayURL, "https://wx.tenpay.com/") || x.ClientIP != "203.0.113.7" {
		t.Errorf("WxOrder %+v: want the mweb_url and the IP", x)
	}
	r.Clock.Advance(3*time.Minute + 50*time.Second)
	if y, err := svc.PayWith(ctx, o, mweb("203.0.113.7")); err != nil || y.OutTradeNo != x.OutTradeNo || len(f.calls()) != 1 {
		t.Errorf("same IP within 4 minutes: %v %v, %d calls; want the same one", y, err, len(f.calls()))
	}
	other, err := svc.PayWith(ctx, o, mweb("198.51.100.9"))
	if err != nil || other.OutTradeNo == x.OutTradeNo || len(f.calls()) != 2 || f.calls()[1].SpbillCreateIP != "198.51.100.9" {
		t.Errorf("another IP: %v %v; want a new MWEB order from that IP", other, err)
	}
	r.Clock.Advance(15 * time.Second) // 4m05s after the first: its mweb_url is not handed out again
	late, err := svc.PayWith(ctx, o, mweb("203.0.113.7"))
	if err != nil || late.OutTradeNo == x.OutTradeNo || late.OutTradeNo == other.OutTradeNo || len(f.calls()) != 3 {
		t.Errorf("same IP after 4 minutes: %v %v, %d calls; want a new one", late, err, len(f.calls()))
	}
	// MWEB never reuses a JSAPI order, nor the reverse.
	if j, err := svc.PayWith(ctx, o, jsapi("oAlice")); err != nil || j.TradeType != wxpay.TradeJSAPI || len(f.calls()) != 4 {
		t.Errorf("JSAPI after MWEB: %v %v", j, err)
	}
}

func TestPayWithIsBoundedAndOnlyForAnOpenOrder(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	o := placeWith(t, svc)
	for i := range 20 {
		if _, err := svc.PayWith(ctx, o, jsapi(fmt.Sprintf("oPayer%02d", i))); err != nil {
			t.Fatalf("WeChat order %d: %v", i+1, err)
		}
	}
	if _, err := svc.PayWith(ctx, o, jsapi("oPayer20")); checkout.KindOf(err) != checkout.KindLimited {
		t.Errorf("the 21st WeChat order: %v, want KindLimited", err)
	}
	if _, err := svc.PayWith(ctx, o, mweb("203.0.113.7")); checkout.KindOf(err) != checkout.KindLimited {
		t.Errorf("an MWEB order past the bound: %v, want KindLimited", err)
	}
	if len(f.calls()) != 20 {
		t.Errorf("%d unifiedorder calls, want 20", len(f.calls()))
	}
	if x, err := svc.PayWith(ctx, o, jsapi("oPayer00")); err != nil || x.OpenID != "oPayer00" {
		t.Errorf("a payer who has one already: %v %v, want it back", x, err)
	}

	paid := placeWith(t, svc)
	must(t, r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}))
	must(t, r.Sim.Pay(paid.CodeURL))
	must(t, svc.Sync(ctx, paid.OutTradeNo, "test"))
	paid = r.Order(t, paid.OutTradeNo)
	if paid.Status != models.StatusPaid {
		t.Fatalf("order %s", paid.Status)
	}
	if _, err := svc.PayWith(ctx, paid, jsapi("oAlice")); checkout.KindOf(err) != checkout.KindConflict {
		t.Errorf("a paid order: %v, want KindConflict", err)
	}
	open := placeWith(t, svc)
	r.Clock.Advance(14*time.Minute + 10*time.Second)
	if _, err := svc.PayWith(ctx, open, mweb("203.0.113.7")); checkout.KindOf(err) != checkout.KindConflict {
		t.Errorf("an order with 50 s left: %v, want KindConflict (no WeChat order that cannot be paid in time)", err)
	}
	r.Clock.Advance(time.Minute)
	if _, err := svc.PayWith(ctx, open, jsapi("oAlice")); checkout.KindOf(err) != checkout.KindConflict {
		t.Errorf("an expired order: %v, want KindConflict", err)
	}
	if len(f.calls()) != 20 {
		t.Errorf("%d unifiedorder calls, want still 20", len(f.calls()))
	}
}

// wxNotification is WeChat's signed payment notification of the WeChat
// order no, of the order's amount.
func wxNotification(t *testing.T, o *models.Order, no, transactionID, tradeType string) []byte {
	t.Helper()
	fee := strconv.FormatInt(int64(o.TotalFee), 10)
	p := wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID,
		"nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "result_code": "SUCCESS", "openid": "oAlice",
		"is_subscribe": "N", "trade_type": tradeType, "bank_type": "CMC", "total_fee": fee, "cash_fee": fee,
		"fee_type": "CNY", "transaction_id": transactionID, "out_trade_no": no, "time_end": "20261122180500",
	}
	sign, err := wxpay.Sign(p, wxpaysim.DemoAPIKey, wxpay.SignHMACSHA256)
	if err != nil {
		t.Fatal(err)
	}
	p["sign"] = sign
	return wxpay.Encode(p)
}

func TestAPaymentOfAFurtherWeChatOrderPaysTheOrderOnce(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	o := placeWith(t, svc)
	x, err := svc.PayWith(ctx, o, jsapi("oAlice"))
	if err != nil {
		t.Fatal(err)
	}
	h5, err := svc.PayWith(ctx, o, mweb("203.0.113.7"))
	if err != nil {
		t.Fatal(err)
	}
	const tid = "4200000001202611220000000001"
	body := wxNotification(t, o, x.OutTradeNo, tid, wxpay.TradeJSAPI)
	for range 3 { // WeChat resends; each is applied once
		if err := svc.HandleNotification(ctx, body); err != nil {
			t.Fatalf("notification of the JSAPI order: %v", err)
		}
	}
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID != tid || got.PaidTradeNo != x.OutTradeNo || got.Flags != "" {
		t.Fatalf("order %s transaction %q paid_trade_no %q flags %q; want PAID by %s", got.Status, got.TransactionID,
			got.PaidTradeNo, got.Flags, x.OutTradeNo)
	}
	if n := paidTransitions(t, r, got); n != 1 {
		t.Errorf("moved to PAID %d times", n)
	}
	st, err := svc.StatusByToken(ctx, o.Token)
	if err != nil || st.OutTradeNo != o.OutTradeNo || st.Status != models.StatusPaid {
		t.Errorf("status %+v %v; want PAID under the order's own out_trade_no %s", st, err, o.OutTradeNo)
	}

	// The shopper paid the H5 order too: flagged, nothing doubled.
	second := wxNotification(t, o, h5.OutTradeNo, "4200000001202611220000000002", wxpay.TradeMWEB)
	if err := svc.HandleNotification(ctx, second); err != nil {
		t.Fatalf("notification of a second payment: %v", err)
	}
	got = r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.TransactionID != tid || got.PaidTradeNo != x.OutTradeNo ||
		!got.HasFlag(models.FlagSecondPayment) || paidTransitions(t, r, got) != 1 {
		t.Errorf("after a second payment: %s %q by %s flags %q; want the first payment kept and %s flagged", got.Status,
			got.TransactionID, got.PaidTradeNo, got.Flags, models.FlagSecondPayment)
	}
	if err := svc.HandleNotification(ctx, second); err != nil || r.Order(t, o.OutTradeNo).Flags != got.Flags {
		t.Errorf("the second payment's notification again: %v, flags %q", err, r.Order(t, o.OutTradeNo).Flags)
	}

	// A refund names the WeChat order that was paid.
	ref, _, err := svc.Refund(ctx, checkout.RefundRequest{OutTradeNo: o.OutTradeNo, Amount: 1000, Actor: "admin:test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.refunds) != 1 || f.refunds[0].OutTradeNo != x.OutTradeNo || f.refunds[0].TotalFee != int64(o.TotalFee) ||
		f.refunds[0].OutRefundNo != ref.OutRefundNo {
		t.Errorf("refund sent %+v; want out_trade_no %s (the paid JSAPI order), not %s", f.refunds, x.OutTradeNo, o.OutTradeNo)
	}
	// Its notification, naming that WeChat order, is applied to the order.
	if err := svc.RefundNotified(ctx, &wxpay.RefundNotification{OutRefundNo: ref.OutRefundNo, OutTradeNo: x.OutTradeNo,
		RefundFee: 1000, TotalFee: int64(o.TotalFee), Status: wxpay.RefundSuccess}); err != nil {
		t.Fatalf("refund notification naming the paid WeChat order: %v", err)
	}
	if got := r.Order(t, o.OutTradeNo); got.RefundedFee != 1000 {
		t.Errorf("refunded ¥%s, want ¥10.00", got.RefundedFee.Yuan())
	}
}

func TestReconcilerFindsAPaymentOfAFurtherWeChatOrder(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	o := placeWith(t, svc)
	x, err := svc.PayWith(ctx, o, jsapi("oAlice"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.PayWith(ctx, o, jsapi("oBob"))
	if err != nil {
		t.Fatal(err)
	}
	svc.ReconcileOnce(ctx, 4, 100) // nothing due yet
	f.pay(other.OutTradeNo, "4200000001202611220000000003")
	r.Clock.Advance(10 * time.Second)
	svc.ReconcileOnce(ctx, 4, 100)
	got := r.Order(t, o.OutTradeNo)
	if got.Status != models.StatusPaid || got.PaidTradeNo != other.OutTradeNo || got.TransactionID != "4200000001202611220000000003" {
		t.Fatalf("order %s by %q (%q); want PAID through %s found by orderquery", got.Status, got.PaidTradeNo, got.TransactionID, other.OutTradeNo)
	}
	q := f.queriedNos()
	has := func(no string) bool {
		for _, n := range q {
			if n == no {
				return true
			}
		}
		return false
	}
	if !has(o.OutTradeNo) || !has(x.OutTradeNo) || !has(other.OutTradeNo) {
		t.Errorf("queried %v; want the order's own %s and both JSAPI orders", q, o.OutTradeNo)
	}
	if n := paidTransitions(t, r, got); n != 1 {
		t.Errorf("moved to PAID %d times", n)
	}
	evs, err := svc.Events(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || ev.Kind == models.EventStatus && strings.Contains(ev.Summary, other.OutTradeNo)
	}
	if !found {
		t.Error("the timeline does not name the WeChat order that was paid")
	}
	// A paid order is not queried again.
	n := len(f.queriedNos())
	r.Clock.Advance(time.Hour)
	svc.ReconcileOnce(ctx, 4, 100)
	if len(f.queriedNos()) != n {
		t.Errorf("a paid order was queried again: %v", f.queriedNos()[n:])
	}
}

func TestExpiryClosesTheFurtherWeChatOrders(t *testing.T) {
	r, svc, f := devicesRig(t)
	ctx := context.Background()
	o := placeWith(t, svc)
	x, err := svc.PayWith(ctx, o, jsapi("oAlice"))
	if err != nil {
		t.Fatal(err)
	}
	r.Clock.Advance(15*time.Minute + time.Second)
	svc.ReconcileOnce(ctx, 4, 100)
	if got := r.Order(t, o.OutTradeNo); got.Status != models.StatusClosed {
		t.Fatalf("order %s after its time, want CLOSED", got.Status)
	}
	f.mu.Lock()
	closed := append([]string(nil), f.closed...)
	f.mu.Unlock()
	if len(closed) != 2 || closed[0] != o.OutTradeNo || closed[1] != x.OutTradeNo {
		t.Errorf("closeorder for %v; want the order's own %s, then %s", closed, o.OutTradeNo, x.OutTradeNo)
	}
}
