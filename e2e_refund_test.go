package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// TestBrowserAdminRefund refunds part of a paid order from the admin
// console in real Chromium: the refund is PROCESSING at once, SUCCESS once
// the built-in simulator's refund delay has passed and its notification
// arrived, and the order is REFUND with the refunded amount. A refund of
// more than what remains, and one without the confirmation ticked, are
// refused and send nothing.
func TestBrowserAdminRefund(t *testing.T) {
	const password = "e2e-admin-password"
	a := startApp(t, map[string]string{"ADMIN_PASSWORD": password})
	ctx := context.Background()
	o, err := a.svc.PlaceOrder(ctx, checkout.PlaceRequest{SKU: "MUG", Quantity: 2, ClientIP: "127.0.0.1"}) // ¥79.80
	must(t, err)
	must(t, a.sim.Pay(o.CodeURL))
	o = waitOrder(t, a, o.OutTradeNo, "PAID", func(o *models.Order) bool { return o.Status == models.StatusPaid })

	tab := newBrowser(t)
	page := a.URL() + "/admin/orders/" + o.OutTradeNo + "?lang=zh"
	must(t, chromedp.Do(tab,
		chromedp.Navigate(a.URL()+"/admin/orders?lang=zh"),
		chromedp.WaitVisible(`#password`),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`tr[data-out-trade-no="`+o.OutTradeNo+`"]`),
		chromedp.Navigate(page),
		chromedp.WaitVisible(`#refund-form`),
	))
	if lang := browse(t, tab, chromedp.Evaluate[string](`document.documentElement.lang`)); !strings.HasPrefix(lang, "zh") {
		t.Errorf("the admin page is in %q, want Chinese", lang)
	}
	if v := browse(t, tab, chromedp.Value(`#refund-amount`)); v != "79.80" {
		t.Errorf("the amount field proposes %q, want the whole ¥79.80", v)
	}

	// Without the confirmation: the browser's own check is switched off so
	// that the server's is the one tested.
	fillRefund(t, tab, "10.00", "no confirmation", false)
	msg := submitRefund(t, tab, false)
	if !strings.Contains(msg, "确认") {
		t.Errorf("flash without confirmation = %q", msg)
	}
	assertRefundCount(t, a, o.OutTradeNo, 0)

	// The partial refund.
	fillRefund(t, tab, "30.00", "破损退款", true)
	msg = submitRefund(t, tab, true)
	rs := assertRefundCount(t, a, o.OutTradeNo, 1)
	ref := rs[0]
	if ref.Amount != 3000 || ref.Reason != "破损退款" {
		t.Errorf("refund started: %d fen, reason %q; want 3000 fen, 破损退款", ref.Amount, ref.Reason)
	}
	if !strings.Contains(msg, ref.OutRefundNo) || !strings.Contains(msg, "30.00") || !strings.Contains(msg, "PROCESSING") {
		t.Errorf("flash after refunding = %q, want %s of ¥30.00 PROCESSING", msg, ref.OutRefundNo)
	}
	row := `tr.refund[data-out-refund-no="` + ref.OutRefundNo + `"]`
	if st := browse(t, tab, chromedp.AttributeValue(row, "data-status")); st.Value != "PROCESSING" {
		t.Errorf("refund row status = %q, want PROCESSING", st.Value)
	}
	if text := browse(t, tab, chromedp.Text(row)); !strings.Contains(text, "30.00") || !strings.Contains(text, "破损退款") {
		t.Errorf("refund row = %q", text)
	}

	// SUCCESS after the simulator's refund delay: reload until the page says so.
	deadline := time.Now().Add(30 * time.Second)
	for {
		must(t, chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitVisible(row)))
		st := browse(t, tab, chromedp.AttributeValue(row, "data-status")).Value
		order := browse(t, tab, chromedp.AttributeValue(`h1 [data-status]`, "data-status")).Value
		if st == "SUCCESS" && order == "REFUND" {
			break
		}
		if st != "PROCESSING" || time.Now().After(deadline) {
			t.Fatalf("refund %s is %s, order %s; want SUCCESS and REFUND", ref.OutRefundNo, st, order)
		}
		time.Sleep(200 * time.Millisecond) // the polling interval, not an assertion
	}
	sum := browse(t, tab, chromedp.Attributes(`#refund-summary`))
	if sum["data-refunded"] != "30.00" || sum["data-refundable"] != "49.80" {
		t.Errorf("refund summary says refunded ¥%s, refundable ¥%s; want ¥30.00 and ¥49.80", sum["data-refunded"], sum["data-refundable"])
	}
	if id := browse(t, tab, chromedp.Text(row+` .refund-id`)); id == "" {
		t.Error("the successful refund shows no refund_id")
	}
	done, err := a.svc.OrderByOutTradeNo(ctx, o.OutTradeNo)
	must(t, err)
	if done.Status != models.StatusRefund || done.RefundedFee != 3000 {
		t.Errorf("order is %s with %d fen refunded, want REFUND with 3000", done.Status, done.RefundedFee)
	}

	// More than what remains (¥49.80) is refused and sends nothing.
	fillRefund(t, tab, "50.00", "too much", true)
	msg = submitRefund(t, tab, false)
	if strings.Contains(msg, "PROCESSING") || msg == "" {
		t.Errorf("flash after refunding too much = %q", msg)
	}
	if n := browse(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('tr.refund').length`)); n != 1 {
		t.Errorf("the page lists %d refunds after the refused one, want 1", n)
	}
	assertRefundCount(t, a, o.OutTradeNo, 1)
	after, err := a.svc.OrderByOutTradeNo(ctx, o.OutTradeNo)
	must(t, err)
	if after.RefundCount != 1 || after.RefundedFee != 3000 || after.Refundable() != 4980 {
		t.Errorf("after the refused refund: count %d, refunded %d, refundable %d; want 1, 3000, 4980",
			after.RefundCount, after.RefundedFee, after.Refundable())
	}
}

// waitOrder polls the service until ok says the order is as wanted.
func waitOrder(t *testing.T, a *app, outTradeNo, want string, ok func(*models.Order) bool) *models.Order {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		o, err := a.svc.OrderByOutTradeNo(context.Background(), outTradeNo)
		must(t, err)
		if ok(o) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %s, still not %s", outTradeNo, o.Status, want)
		}
		time.Sleep(50 * time.Millisecond) // the polling interval, not an assertion
	}
}

// fillRefund fills the order page's refund form.
func fillRefund(t *testing.T, tab context.Context, amount, reason string, confirm bool) {
	t.Helper()
	must(t, chromedp.Do(tab,
		chromedp.WaitVisible(`#refund-form`),
		chromedp.SetValue(`#refund-amount`, amount),
		chromedp.SetValue(`#refund-reason`, reason),
	))
	checked := browse(t, tab, chromedp.JavascriptAttribute[bool](`#refund-confirm`, "checked"))
	if checked != confirm {
		must(t, chromedp.Do(tab, chromedp.Click(`#refund-confirm`)))
	}
	if !confirm {
		must(t, chromedp.Do(tab, chromedp.RemoveAttribute(`#refund-confirm`, "required")))
	}
}

// submitRefund clicks the refund button and waits for the page it leads
// to, whose flash it returns; ok says whether the flash must be a success.
func submitRefund(t *testing.T, tab context.Context, ok bool) string {
	t.Helper()
	// admin.js asks before a refund (window.confirm): answer yes, and note
	// the question, which must name the amount typed.
	browse(t, tab, chromedp.Evaluate[bool](`window.__submitted = true;
		window.confirm = function (q) { sessionStorage.setItem("asked", q); return true; }; true`))
	amount := browse(t, tab, chromedp.Evaluate[string](`document.querySelector('#refund-amount').value.trim()`))
	must(t, chromedp.Do(tab, chromedp.Click(`#refund`)))
	deadline := time.Now().Add(20 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(tab, 2*time.Second)
		ready, err := chromedp.Run(cctx, chromedp.Evaluate[bool](
			`window.__submitted === undefined && document.readyState === 'complete' && !!document.querySelector('#flash')`))
		cancel()
		if err == nil && ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page with a flash after submitting the refund (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond) // the polling interval, not an assertion
	}
	if asked := browse(t, tab, chromedp.Evaluate[string](`sessionStorage.getItem("asked") || ""`)); !strings.Contains(asked, "¥"+amount) {
		t.Errorf("asked %q before the refund, want a question naming ¥%s", asked, amount)
	}
	class := browse(t, tab, chromedp.AttributeValue(`#flash`, "class")).Value
	msg := browse(t, tab, chromedp.Text(`#flash`))
	if strings.Contains(class, "flash-ok") != ok {
		t.Errorf("flash %q (class %q), want ok=%v", msg, class, ok)
	}
	return msg
}

// assertRefundCount checks how many refunds the order has, in the refunds
// table and on the order, and returns them.
func assertRefundCount(t *testing.T, a *app, outTradeNo string, want int) []models.Refund {
	t.Helper()
	o, err := a.svc.OrderByOutTradeNo(context.Background(), outTradeNo)
	must(t, err)
	rs, err := a.svc.Refunds(context.Background(), o)
	must(t, err)
	if len(rs) != want || o.RefundCount != want {
		t.Fatalf("order %s has %d refunds (refund_count %d), want %d", outTradeNo, len(rs), o.RefundCount, want)
	}
	return rs
}
