package handlers_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxcheckout/gateway"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// mapiForm is what a shop's server posts to mapi.php: the order, the
// shopper's address and device, signed.
func mapiForm(app *models.MerchantApp, o shopOrder, clientIP string) url.Values {
	f := o.fields(app.Pid)
	f["type"], f["clientip"], f["device"] = "wxpay", clientIP, "pc"
	return signedForm(f, app.Key)
}

// payAndWait pays o at the simulator and waits for its notification to
// make the order PAID here.
func payAndWait(t *testing.T, r *testrig.Rig, o *models.Order) *models.Order {
	t.Helper()
	if err := r.Sim.Pay(o.CodeURL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got := r.Order(t, o.OutTradeNo); got.Status == models.StatusPaid {
			return got
		}
	}
	t.Fatalf("order %s not PAID after its payment", o.OutTradeNo)
	return nil
}

func TestEpayMAPIPlacesAnOrder(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "New API")
	for i, tt := range []struct {
		name      string
		clientIP  string
		wantIP    string
		multipart bool
	}{
		{"urlencoded", "203.0.113.7", "203.0.113.7", false},
		{"multipart, as curl posts an array", "2001:db8::1", "2001:db8::1", true},
		{"clientip not an address: the peer", "<script>", "127.0.0.1", false},
		{"no clientip: the peer", "", "127.0.0.1", false},
	} {
		no := "API-" + strconv.Itoa(i)
		m := mapiPost(t, r, mapiForm(app, order(no, "9.9"), tt.clientIP), tt.multipart)
		wantCode(t, tt.name, m, 1, "")
		tradeNo, _ := m["trade_no"].(string)
		o, err := r.Store.OrderByOutTradeNo(t.Context(), tradeNo)
		if err != nil {
			t.Fatalf("%s: trade_no %q: %v", tt.name, tradeNo, err)
		}
		if o.MerchantOutTradeNo() != no || o.TotalFee != 990 || o.ClientIP != tt.wantIP || o.NotifyStyle != models.NotifyEpay {
			t.Errorf("%s: order %+v", tt.name, o)
		}
		if m["payurl"] != r.App.URL+"/pay/"+o.Token || m["qrcode"] != o.CodeURL || o.CodeURL == "" {
			t.Errorf("%s: payurl %v qrcode %v, want %s and %s", tt.name, m["payurl"], m["qrcode"], r.App.URL+"/pay/"+o.Token, o.CodeURL)
		}
	}
}

func TestEpayMAPITakesOnlyPost(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	req, _ := http.NewRequest(http.MethodGet, r.App.URL+"/mapi.php?"+mapiForm(app, order("G-1", "1"), "").Encode(), nil)
	wantCode(t, "GET mapi.php", epayJSON(t, r, req), -1, "POST")
	nothingCreated(t, r, "GET mapi.php")
}

// Duplicates at once make one order, and every answer names it.
func TestEpayMAPIConcurrentDuplicatesMakeOneOrder(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	form := mapiForm(app, order("DUP-1", "58"), "203.0.113.7")
	const n = 16
	replies := make([]map[string]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = mapiPost(t, r, form, false)
		}()
	}
	wg.Wait()
	for i, m := range replies {
		wantCode(t, "duplicate "+strconv.Itoa(i), m, 1, "")
		if m["trade_no"] != replies[0]["trade_no"] || m["qrcode"] != replies[0]["qrcode"] {
			t.Errorf("reply %d: %v, want the same order as %v", i, m, replies[0])
		}
	}
	if n, sim := r.CountRows(t, "orders"), len(r.Sim.Orders()); n != 1 || sim != 1 {
		t.Fatalf("%d orders stored, %d at WeChat, want 1 and 1", n, sim)
	}
}

// GATEWAY_RATE_PER_APP counts per app: 50 a minute is a burst of 5, and the
// rig's clock stands still, so the sixth order is refused while another
// app is still served.
func TestEpayRateIsLimitedPerApp(t *testing.T) {
	r := testrig.New(t, testrig.Options{GatewayRate: 50})
	app, other := r.MerchantApp(t, "busy"), r.MerchantApp(t, "quiet")
	for i := range 5 {
		wantCode(t, "order "+strconv.Itoa(i), mapiPost(t, r, mapiForm(app, order("RATE-"+strconv.Itoa(i), "1"), ""), false), 1, "")
	}
	wantCode(t, "sixth order", mapiPost(t, r, mapiForm(app, order("RATE-5", "1"), ""), false), -1, "下单过于频繁")
	resp, body := submitPost(t, r, dujiaokaForm(app, order("RATE-6", "1")))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(errorMessage(body), "下单过于频繁") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("submit.php over the rate = %d %q", resp.StatusCode, errorMessage(body))
	}
	if n := r.CountRows(t, "orders"); n != 5 {
		t.Errorf("%d orders, want the 5 within the burst", n)
	}
	resp, body = submitPost(t, r, dujiaokaForm(other, order("RATE-0", "1")))
	submitted(t, r, resp, body)
}

func TestEpayAPIOrderBeforeAndAfterPayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app, other := r.MerchantApp(t, "shop"), r.MerchantApp(t, "other")
	m := mapiPost(t, r, mapiForm(app, order("Q-1", "58"), ""), false)
	wantCode(t, "mapi.php", m, 1, "")
	tradeNo := m["trade_no"].(string)
	o := r.Order(t, tradeNo)
	pid := strconv.FormatInt(app.Pid, 10)

	before := apiGet(t, r, url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key}, "out_trade_no": {"Q-1"}})
	want := map[string]any{"code": 1.0, "msg": "查询订单号成功！", "trade_no": tradeNo, "out_trade_no": "Q-1", "api_trade_no": "",
		"type": "wxpay", "pid": float64(app.Pid), "addtime": "2026-11-22 18:00:00", "endtime": "", "name": "月卡 VIP",
		"money": "58.00", "status": 0.0, "param": "uid=7", "buyer": ""}
	checkFields(t, "before payment", before, want)

	paid := payAndWait(t, r, o)
	req, _ := http.NewRequest(http.MethodPost, r.App.URL+"/api.php?act=order",
		strings.NewReader(url.Values{"pid": {pid}, "key": {app.Key}, "trade_no": {tradeNo}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	after := epayJSON(t, r, req)
	if paid.TransactionID == "" || paid.PaidAt == nil {
		t.Fatalf("paid order %+v", paid)
	}
	want["api_trade_no"], want["status"], want["endtime"], want["buyer"] = paid.TransactionID, 1.0, gateway.EpayTime(*paid.PaidAt), paid.OpenID
	checkFields(t, "after payment (POST, by trade_no)", after, want)

	for _, tt := range []struct {
		name   string
		params url.Values
		want   string
	}{
		{"wrong key", url.Values{"act": {"order"}, "pid": {pid}, "key": {other.Key}, "trade_no": {tradeNo}}, "商户密钥错误"},
		{"no key", url.Values{"act": {"order"}, "pid": {pid}, "trade_no": {tradeNo}}, "商户密钥错误"},
		{"unknown pid", url.Values{"act": {"order"}, "pid": {"999999"}, "key": {app.Key}, "trade_no": {tradeNo}}, "商户不存在"},
		{"another app's order", url.Values{"act": {"order"}, "pid": {strconv.FormatInt(other.Pid, 10)}, "key": {other.Key}, "trade_no": {tradeNo}}, "订单不存在"},
		{"another app's out_trade_no", url.Values{"act": {"order"}, "pid": {strconv.FormatInt(other.Pid, 10)}, "key": {other.Key}, "out_trade_no": {"Q-1"}}, "订单不存在"},
		{"unknown order", url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key}, "out_trade_no": {"NOPE"}}, "订单不存在"},
		{"no order number", url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key}}, "缺少参数 trade_no"},
		{"refund by GET", url.Values{"act": {"refund"}, "pid": {pid}, "key": {app.Key}, "trade_no": {tradeNo}, "money": {"58"}}, "请使用 POST 提交"},
		{"another act", url.Values{"act": {"query"}, "pid": {pid}, "key": {app.Key}}, "不支持的 act"},
		{"no act", url.Values{"pid": {pid}, "key": {app.Key}, "trade_no": {tradeNo}}, "不支持的 act"},
	} {
		m := apiGet(t, r, tt.params)
		wantCode(t, tt.name, m, -1, tt.want)
		if len(m) != 2 {
			t.Errorf("%s: %v, want only code and msg", tt.name, m)
		}
	}
	if got := r.Order(t, tradeNo); got.Status != models.StatusPaid || got.TotalFee != 5800 {
		t.Errorf("order after the queries: %+v", got)
	}
}

// checkFields compares a decoded JSON reply with want, types included
// (numbers decode as float64, strings as string).
func checkFields(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected field %s", what, k)
		}
	}
}

// The key travels in api.php's query string; it never reaches the log.
func TestEpayKeysAreNotLogged(t *testing.T) {
	var logs logBuffer
	r := testrig.New(t, testrig.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	app := r.MerchantApp(t, "shop")
	m := mapiPost(t, r, mapiForm(app, order("L-1", "58"), ""), false)
	pid := strconv.FormatInt(app.Pid, 10)
	apiGet(t, r, url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key}, "trade_no": {m["trade_no"].(string)}})
	apiGet(t, r, url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key + "x"}, "trade_no": {"NOPE"}})
	apiGet(t, r, url.Values{"act": {"order"}, "pid": {pid}, "key": {app.Key}, "trade_no": {"NOPE"}})
	form := dujiaokaForm(app, order("L-2", "58"))
	submitGet(t, r, r.App.URL+"/submit.php?"+form.Encode())
	form.Set("money", "1")
	submitGet(t, r, r.App.URL+"/submit.php?"+form.Encode())
	out := logs.String()
	if !strings.Contains(out, "route=/api.php") || !strings.Contains(out, "epay request refused") {
		t.Fatalf("the requests were not logged at all:\n%s", out)
	}
	if strings.Contains(out, app.Key) || strings.Contains(out, "key=") || strings.Contains(out, form.Get("sign")) {
		t.Fatalf("the log carries a key or sign:\n%s", out)
	}
}
