package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// adminRefundPost posts the refund form as b, with the session's token
// unless form has one, and returns the order page it redirects to.
func adminRefundPost(t *testing.T, r *testrig.Rig, b *http.Client, o *models.Order, form url.Values) adminPage {
	t.Helper()
	path := "/admin/orders/" + o.OutTradeNo
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", adminToken(t, r, b))
	}
	p := adminPost(t, r, b, path+"/refunds", form)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != path {
		t.Fatalf("POST %s/refunds = %d to %q, want 303 back to the order", path, p.Status, p.Header.Get("Location"))
	}
	return adminGet(t, r, b, path)
}

func englishAdmin(t *testing.T, r *testrig.Rig) *http.Client {
	t.Helper()
	b := r.AdminBrowser(t)
	adminGet(t, r, b, "/admin/orders?lang=en")
	return b
}

func TestAdminRefundIsProcessingThenSucceeds(t *testing.T) {
	r, f := refundRig(t)
	o := payBySync(t, r, r.PlaceOrder(t, "COFFEE", 2)) // ¥116.00
	b := englishAdmin(t, r)
	page := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo)
	for _, want := range []string{`id="refund-form"`, `name="amount" value="116.00"`, `name="confirm" value="1"`, "No refunds yet", "Refundable ¥116.00"} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("the paid order's page lacks %q", want)
		}
	}

	page = adminRefundPost(t, r, b, o, url.Values{"amount": {"50"}, "reason": {"缺货"}, "confirm": {"1"}})
	if got := adminFlash(t, page); !strings.HasPrefix(got, "ok: Refund R") || !strings.Contains(got, "¥50.00 sent: Processing (PROCESSING)") {
		t.Fatalf("flash %q", got)
	}
	if f.Sent() != 1 || f.sent[0].RefundFee != 5000 || f.sent[0].TotalFee != 11600 || f.sent[0].Reason != "缺货" {
		t.Fatalf("sent %+v", f.sent)
	}
	rs := refundsOf(t, r, o.OutTradeNo)
	if len(rs) != 1 || rs[0].Actor == "" || !strings.HasPrefix(rs[0].Actor, "admin") {
		t.Fatalf("refunds %+v", rs)
	}
	for _, want := range []string{`data-out-refund-no="` + rs[0].OutRefundNo + `" data-status="PROCESSING"`, rs[0].RefundID, "¥50.00", "缺货",
		"Refundable ¥66.00", `name="amount" value="66.00"`} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("the page after the refund lacks %q", want)
		}
	}

	err := r.Svc.RefundNotified(context.Background(), &wxpay.RefundNotification{OutRefundNo: rs[0].OutRefundNo,
		OutTradeNo: o.OutTradeNo, RefundID: rs[0].RefundID, RefundFee: 5000, TotalFee: 11600, Status: wxpay.RefundSuccess})
	if err != nil {
		t.Fatal(err)
	}
	page = adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo)
	for _, want := range []string{`data-status="SUCCESS"`, `data-status="REFUND"`, "Refunded ¥50.00"} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("the page after SUCCESS lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "refund_status_") || strings.Contains(page.Body, "admin_refund") {
		t.Fatalf("an untranslated key on the page")
	}

	list := adminGet(t, r, b, "/admin/orders?status=REFUND")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, o.OutTradeNo) || !regexp.MustCompile(`<td class="num refunded"[^>]*>¥50.00</td>`).MatchString(list.Body) {
		t.Fatalf("REFUND filter: %d", list.Status)
	}
	if !strings.Contains(list.Body, `data-paid-count="1" data-paid-fen="6600"`) {
		t.Fatalf("totals are not net of the refund")
	}
	csv := adminGet(t, r, b, "/admin/orders.csv?status=REFUND")
	if !strings.Contains(csv.Body, ",50.00,5000,") {
		t.Fatalf("CSV lacks the refunded amount: %q", csv.Body)
	}
}

func TestAdminRefundNeedsTheTokenAndTheConfirmation(t *testing.T) {
	r, f := refundRig(t)
	o := payBySync(t, r, r.PlaceOrder(t, "COFFEE", 1))
	b := englishAdmin(t, r)
	p := adminPost(t, r, b, "/admin/orders/"+o.OutTradeNo+"/refunds", url.Values{"amount": {"1"}, "confirm": {"1"}})
	if p.Status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", p.Status)
	}
	p = adminPost(t, r, b, "/admin/orders/"+o.OutTradeNo+"/refunds", url.Values{"amount": {"1"}, "confirm": {"1"}, "csrf_token": {"forged"}})
	if p.Status != http.StatusForbidden {
		t.Fatalf("with a forged token: %d", p.Status)
	}
	for _, confirm := range []string{"", "0", "on"} {
		page := adminRefundPost(t, r, b, o, url.Values{"amount": {"1"}, "confirm": {confirm}})
		if got := adminFlash(t, page); got != "error: Tick the confirmation box to refund" {
			t.Fatalf("confirm=%q: flash %q", confirm, got)
		}
	}
	if f.Sent() != 0 || len(refundsOf(t, r, o.OutTradeNo)) != 0 {
		t.Fatalf("a refund was started without the token or the confirmation")
	}
}

func TestAdminRefundRefusesBadAmounts(t *testing.T) {
	r, f := refundRig(t)
	o := payBySync(t, r, r.PlaceOrder(t, "COFFEE", 1)) // ¥58.00
	b := englishAdmin(t, r)
	for amount, want := range map[string]string{
		"0":     "Invalid refund amount",
		"-1":    "Invalid refund amount",
		"1.234": "Invalid refund amount",
		"abc":   "Invalid refund amount",
		"":      "Invalid refund amount",
		"1e3":   "Invalid refund amount",
		"58.01": "The refund must be more than zero and at most the refundable amount",
	} {
		page := adminRefundPost(t, r, b, o, url.Values{"amount": {amount}, "confirm": {"1"}})
		if got := adminFlash(t, page); !strings.HasPrefix(got, "error: "+want) {
			t.Errorf("amount %q: flash %q", amount, got)
		}
	}
	if f.Sent() != 0 || len(refundsOf(t, r, o.OutTradeNo)) != 0 {
		t.Fatalf("a bad amount reached WeChat: %+v", f.sent)
	}
	if got := r.Order(t, o.OutTradeNo); got.RefundReserved != 0 || got.RefundCount != 0 {
		t.Fatalf("bad amounts changed the order: %+v", got)
	}
}

func TestAdminRefundOfAnUnpaidOrderIsRefused(t *testing.T) {
	r, f := refundRig(t)
	o := r.PlaceOrder(t, "PENNY", 1)
	b := englishAdmin(t, r)
	if page := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo); strings.Contains(page.Body, `id="refund-form"`) {
		t.Fatalf("an unpaid order offers a refund")
	}
	page := adminRefundPost(t, r, b, o, url.Values{"amount": {"0.01"}, "confirm": {"1"}})
	if got := adminFlash(t, page); got != "error: The order was not paid; there is nothing to refund" {
		t.Fatalf("flash %q", got)
	}
	if f.Sent() != 0 {
		t.Fatalf("sent %+v", f.sent)
	}
	if p := adminPost(t, r, b, "/admin/orders/NOSUCHORDER/refunds", url.Values{"amount": {"1"}, "confirm": {"1"},
		"csrf_token": {adminToken(t, r, b)}}); p.Status != http.StatusNotFound {
		t.Fatalf("unknown order: %d", p.Status)
	}
}

func TestAdminRefundRefusedByWeChatShowsWhy(t *testing.T) {
	r, f := refundRig(t)
	o := payBySync(t, r, r.PlaceOrder(t, "COFFEE", 1))
	f.setRefund(refuseRefund)
	b := r.AdminBrowser(t) // Chinese
	page := adminRefundPost(t, r, b, o, url.Values{"amount": {"58"}, "confirm": {"1"}})
	if got := adminFlash(t, page); !strings.HasPrefix(got, "error: 微信支付拒绝了退款：") || !strings.Contains(got, "余额不足") {
		t.Fatalf("flash %q", got)
	}
	if !strings.Contains(page.Body, `data-status="CLOSED"`) || !strings.Contains(page.Body, "退款关闭") || !strings.Contains(page.Body, `name="amount" value="58.00"`) {
		t.Fatalf("the refused refund is not shown CLOSED with its amount free again")
	}
}

func TestAdminShowsAnAbnormalRefund(t *testing.T) {
	r, _ := refundRig(t)
	o := payBySync(t, r, r.PlaceOrder(t, "COFFEE", 1))
	b := englishAdmin(t, r)
	adminRefundPost(t, r, b, o, url.Values{"amount": {"58"}, "confirm": {"1"}})
	rs := refundsOf(t, r, o.OutTradeNo)
	err := r.Svc.RefundNotified(context.Background(), &wxpay.RefundNotification{OutRefundNo: rs[0].OutRefundNo,
		OutTradeNo: o.OutTradeNo, RefundFee: 5800, TotalFee: 5800, Status: wxpay.RefundAbnormal})
	if err != nil {
		t.Fatal(err)
	}
	page := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo)
	if !strings.Contains(page.Body, `data-flag="refund_abnormal"`) || !strings.Contains(page.Body, `data-status="ABNORMAL"`) ||
		strings.Contains(page.Body, `id="refund-form"`) {
		t.Fatalf("the abnormal refund is not pointed out, or the order still offers a refund")
	}
	if list := adminGet(t, r, b, "/admin/orders"); !strings.Contains(list.Body, "Refund abnormal") {
		t.Fatalf("the list does not flag the order")
	}
}
