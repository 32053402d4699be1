package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// order is a typical shop order; its notify_url is never called in these
// tests, and the rig allows loopback notify URLs.
func order(no, money string) shopOrder {
	return shopOrder{OutTradeNo: no, Name: "月卡 VIP", Money: money, NotifyURL: "http://127.0.0.1:9/epay/notify?x=1",
		ReturnURL: "https://shop.example/user/order/" + no, Param: "uid=7"}
}

func TestEpaySubmitDujiaokaForm(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "独角数卡")
	resp, body := submitPost(t, r, dujiaokaForm(app, order("D20261122001", phpFloat(5800))))
	o := submitted(t, r, resp, body)
	if o.MerchantOutTradeNo() != "D20261122001" || o.AppPid != app.Pid || o.TotalFee != 5800 || o.ItemName != "月卡 VIP" ||
		o.Param != "uid=7" || o.NotifyStyle != models.NotifyEpay || o.ReturnURL != "https://shop.example/user/order/D20261122001" ||
		o.NotifyURL != "http://127.0.0.1:9/epay/notify?x=1" || o.ClientIP != "127.0.0.1" || o.CodeURL == "" {
		t.Fatalf("order %+v", o)
	}
	resp, err := http.Get(r.App.URL + resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if page := testrig.ReadAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-status="NOTPAY"`) {
		t.Fatalf("payment page = %d", resp.StatusCode)
	}
}

func TestEpaySubmitV2boardRedirect(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "v2board")
	o := shopOrder{OutTradeNo: "2026112218000012345", Name: "套餐订阅", NotifyURL: "http://127.0.0.1:9/api/v1/guest/payment/notify/EPay/ab12",
		ReturnURL: "https://v2.example/#/order/2026112218000012345"}
	u := v2boardURL(r.App.URL, app, 1990, o)
	if q, err := url.Parse(u); err != nil || q.Query().Get("money") != "19.90" || q.Query().Has("type") {
		t.Fatalf("v2board URL %s", u)
	}
	resp, body := submitGet(t, r, u)
	got := submitted(t, r, resp, body)
	if got.TotalFee != 1990 || got.MerchantOutTradeNo() != o.OutTradeNo || got.ItemName != "套餐订阅" || got.ReturnURL != o.ReturnURL {
		t.Fatalf("order %+v", got)
	}
}

func TestEpayMoneyAsShopSystemsPrintIt(t *testing.T) {
	if got := []string{phpFloat(5800), phpFloat(990), phpFloat(1), phpFloat(123456)}; strings.Join(got, " ") != "58 9.9 0.01 1234.56" {
		t.Fatalf("phpFloat: %v", got)
	}
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	for i, tt := range []struct {
		money string
		fen   models.Money
	}{{"58", 5800}, {"9.9", 990}, {"0.01", 1}, {"58.00", 5800}, {"0.5", 50}, {"1000000", 100_000_000}} {
		resp, body := submitPost(t, r, dujiaokaForm(app, order("M"+string(rune('A'+i)), tt.money)))
		if o := submitted(t, r, resp, body); o.TotalFee != tt.fen {
			t.Errorf("money %q = %d fen, want %d", tt.money, o.TotalFee, tt.fen)
		}
	}
}

func TestEpayRefusedMoney(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	for _, money := range []string{"0", "0.00", "-1", "1.234", "01", "1e3", "", "999999999", "1000000.01",
		" 1", "1.", ".5", "１", "0x10", "1,00", "NaN"} {
		resp, body := submitPost(t, r, dujiaokaForm(app, order("BAD-MONEY", money)))
		want := "金额格式错误"
		if money == "" {
			want = "缺少参数 money"
		}
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(body), want) {
			t.Errorf("submit.php money %q = %d %q, want 400 %q", money, resp.StatusCode, errorMessage(body), want)
		}
		wantCode(t, "mapi.php money "+money, mapiPost(t, r, dujiaokaForm(app, order("BAD-MONEY", money)), false), -1, want)
	}
	nothingCreated(t, r, "bad money")
}

// refusal is one way an epay order request can be wrong.
type refusal struct {
	name string
	form func(app, other *models.MerchantApp) url.Values
	want string // in the message
}

func refusals() []refusal {
	good := func(app *models.MerchantApp, edit func(map[string]string)) url.Values {
		f := order("R-1", "58").fields(app.Pid)
		f["type"] = "wxpay"
		edit(f)
		return signedForm(f, app.Key)
	}
	missing := func(field string) refusal {
		return refusal{"missing " + field, func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { delete(f, field) })
		}, "缺少参数 " + field}
	}
	return []refusal{
		{"bad sign", func(app, _ *models.MerchantApp) url.Values {
			v := good(app, func(map[string]string) {})
			v.Set("money", "5.8") // after signing
			return v
		}, "签名校验失败"},
		{"signed with another app's key", func(app, other *models.MerchantApp) url.Values {
			f := order("R-1", "58").fields(app.Pid)
			return signedForm(f, other.Key)
		}, "签名校验失败"},
		{"missing sign", func(app, _ *models.MerchantApp) url.Values {
			v := good(app, func(map[string]string) {})
			v.Del("sign")
			return v
		}, "缺少参数 sign"},
		{"unknown pid", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["pid"] = "999999" })
		}, "商户不存在"},
		{"malformed pid", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["pid"] = "10a" })
		}, "商户不存在"},
		{"disabled app", func(_, other *models.MerchantApp) url.Values {
			return good(other, func(map[string]string) {})
		}, "商户已停用"},
		missing("pid"), missing("out_trade_no"), missing("name"), missing("notify_url"), missing("money"),
		{"type alipay", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["type"] = "alipay" })
		}, "不支持的支付方式"},
		{"type alipay with a bad sign: the sign first", func(app, other *models.MerchantApp) url.Values {
			f := order("R-1", "58").fields(app.Pid)
			f["type"] = "alipay"
			return signedForm(f, other.Key)
		}, "签名校验失败"},
		{"notify_url not http", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["notify_url"] = "ftp://shop.example/n" })
		}, "notify_url 无效"},
		{"return_url not http", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["return_url"] = "javascript:alert(1)" })
		}, "return_url 无效"},
		{"out_trade_no with a space", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["out_trade_no"] = "R 1" })
		}, "商户订单号"},
		{"out_trade_no of 65", func(app, _ *models.MerchantApp) url.Values {
			return good(app, func(f map[string]string) { f["out_trade_no"] = strings.Repeat("9", 65) })
		}, "商户订单号"},
	}
}

// Every refusal is a 400 page naming the problem at submit.php and code -1
// at mapi.php, and creates nothing.
func TestEpayRefusalsCreateNothing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app, other := r.MerchantApp(t, "shop"), r.MerchantApp(t, "disabled")
	if _, err := r.Svc.SetAppEnabled(t.Context(), other.Pid, false, "test"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range refusals() {
		resp, body := submitPost(t, r, tt.form(app, other))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(body), tt.want) {
			t.Errorf("submit.php %s = %d %q, want 400 %q", tt.name, resp.StatusCode, errorMessage(body), tt.want)
		}
		wantCode(t, "mapi.php "+tt.name, mapiPost(t, r, tt.form(app, other), false), -1, tt.want)
	}
	// submit.php sends the shopper back, so it needs return_url; mapi.php
	// does not.
	f := order("R-2", "58").fields(app.Pid)
	delete(f, "return_url")
	resp, body := submitPost(t, r, signedForm(f, app.Key))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(body), "缺少参数 return_url") {
		t.Errorf("submit.php without return_url = %d %q", resp.StatusCode, errorMessage(body))
	}
	nothingCreated(t, r, "refusals")
	wantCode(t, "mapi.php without return_url", mapiPost(t, r, signedForm(f, app.Key), false), 1, "")
}

func TestEpaySubmitErrorPageSpeaksEnglish(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	form := dujiaokaForm(app, order("EN-1", "58"))
	form.Set("name", "changed after signing")
	resp, body := submitPost(t, r, form, "Accept-Language", "en-US,en;q=0.9")
	if resp.StatusCode != http.StatusBadRequest || errorMessage(body) != "Invalid sign" || !strings.Contains(body, `<html lang="en"`) {
		t.Fatalf("English refusal = %d %q", resp.StatusCode, errorMessage(body))
	}
}

func TestEpayPrivateNotifyURLIsRefused(t *testing.T) {
	r := testrig.New(t, testrig.Options{ForbidPrivateNotify: true})
	app := r.MerchantApp(t, "shop")
	for _, notify := range []string{"http://127.0.0.1:8080/notify", "http://192.168.1.10/notify", "http://[::1]/n", "http://169.254.169.254/latest"} {
		o := order("P-1", "58")
		o.NotifyURL = notify
		resp, body := submitPost(t, r, dujiaokaForm(app, o))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(body), "notify_url 无效（private）") {
			t.Errorf("submit.php notify_url %s = %d %q", notify, resp.StatusCode, errorMessage(body))
		}
		wantCode(t, "mapi.php notify_url "+notify, mapiPost(t, r, dujiaokaForm(app, o), false), -1, "notify_url 无效")
	}
	nothingCreated(t, r, "private notify_url")
	o := order("P-2", "58")
	o.NotifyURL = "http://203.0.113.10/notify" // a public address, no DNS needed
	resp, body := submitPost(t, r, dujiaokaForm(app, o))
	submitted(t, r, resp, body)
}

// The same merchant order again goes to the same page, also once paid;
// with another money it is refused and the order stays as it was.
func TestEpayResubmission(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	first, body := submitPost(t, r, dujiaokaForm(app, order("SAME-1", "58")))
	o := submitted(t, r, first, body)
	again := order("SAME-1", "58.00") // the same money, written otherwise
	again.Name, again.ReturnURL = "another name", "https://elsewhere.example/"
	resp, body := submitPost(t, r, dujiaokaForm(app, again))
	if submitted(t, r, resp, body).ID != o.ID || resp.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("re-submission went to %s, want %s", resp.Header.Get("Location"), first.Header.Get("Location"))
	}
	resp, body = submitPost(t, r, dujiaokaForm(app, order("SAME-1", "58.01")))
	if resp.StatusCode != http.StatusBadRequest || errorMessage(body) != "订单号重复" {
		t.Fatalf("another money = %d %q, want 400 订单号重复", resp.StatusCode, errorMessage(body))
	}
	wantCode(t, "mapi.php another money", mapiPost(t, r, dujiaokaForm(app, order("SAME-1", "1")), false), -1, "订单号重复")
	got := r.Order(t, o.OutTradeNo)
	if got.TotalFee != 5800 || got.ItemName != "月卡 VIP" || got.ReturnURL != o.ReturnURL || r.CountRows(t, "orders") != 1 {
		t.Fatalf("after refusals: %+v (%d orders)", got, r.CountRows(t, "orders"))
	}

	payAndWait(t, r, got)
	resp, body = submitPost(t, r, dujiaokaForm(app, order("SAME-1", "58")))
	if submitted(t, r, resp, body).ID != o.ID {
		t.Fatal("a paid order's re-submission went elsewhere")
	}
	page, err := http.Get(r.App.URL + resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if b := testrig.ReadAll(t, page); !strings.Contains(b, `data-status="PAID"`) {
		t.Fatal("the paid order's page is not its receipt")
	}
}

// The POST body wins over the query, and of a name given twice the last
// value, as in PHP's $_REQUEST; the sign covers the values that win.
func TestEpaySubmitFormOverQuery(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "shop")
	form := dujiaokaForm(app, order("Q-1", "58")) // param uid=7
	req, _ := http.NewRequest(http.MethodPost, r.App.URL+"/submit.php?money=1&out_trade_no=Q-2",
		strings.NewReader("param=uid%3D1&"+form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := do(t, r, req)
	if o := submitted(t, r, resp, body); o.TotalFee != 5800 || o.MerchantOutTradeNo() != "Q-1" || o.Param != "uid=7" {
		t.Fatalf("order %+v", o)
	}
}
