package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// screen is a page to photograph and the elements a user must see on it.
type screen struct {
	name, path string
	owner      bool // the owner's browser (signed in), else the shopper's
	keys       []string
}

// screenshotPages photographs the main pages in Chinese and English (full
// page PNGs in $SCREENSHOT_DIR, or the test's temporary directory) and
// checks on each that the key elements are there, of non-zero size, not
// hidden and within the page; that <html lang> is the language asked; and
// that no text key was left untranslated.
func screenshotPages(t *testing.T, a *app, owner, shopper context.Context, no, token string) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	must(t, os.MkdirAll(dir, 0o755))
	screens := []screen{
		{"shop", "/", false, []string{"#shop-name", "#lang-switch", `li.product[data-sku="TEA-BAI"] img`, "button.buy-now", "button.add-to-cart", "#cart-link"}},
		{"cart", "/cart", false, []string{"#cart", "#cart-total", "#checkout-form", "#buyer_address", "#pay-button"}},
		{"receipt", "/pay/" + token, false, []string{"#receipt", "#merchant-name", "#wechatpay-mark", "#order-items", "#buyer-address", "#print-receipt"}},
		{"not-found", "/pay/no-such-order", false, []string{"#error-heading", "#error-message", "#back-to-shop", "#lang-switch"}},
		{"admin-orders", "/admin/orders", true, []string{"#paid-chart", "#chart-y-title", `tr[data-out-trade-no="` + no + `"]`, "#filter-from"}},
		{"admin-order", "/admin/orders/" + no, true, []string{"#order-items", "#buyer", "#fulfilment-form", "#timeline"}},
		{"admin-products", "/admin/products", true, []string{"#products", "#new-product"}},
		{"admin-settings", "/admin/settings", true, []string{"#settings-form", "#shop_name", "#ask", "#save"}},
	}
	// One unpaid order, for the payment page with its QR, and a cart.
	must(t, chromedp.Do(shopper,
		chromedp.Navigate(a.URL()+"/?lang=zh"),
		chromedp.WaitVisible(`li[data-sku="CUP"] button.buy-now`),
		chromedp.Click(`li[data-sku="CUP"] button.buy-now`),
		chromedp.WaitVisible(`#checkout-form`), // the shop asks for details: the buy-now shows the form
		chromedp.SendKeys(`#buyer_name`, "王五"),
		chromedp.SendKeys(`#buyer_phone`, "13700137000"),
		chromedp.SendKeys(`#buyer_address`, "上海市黄浦区南京东路 1 号"),
		chromedp.Click(`#pay-button`),
		chromedp.WaitVisible(`#qr`),
	))
	screens = append(screens, screen{"pay", strings.TrimPrefix(browse(t, shopper, chromedp.Location()), a.URL()), false,
		[]string{"#qr", "#merchant-name", "#wechatpay-mark", "#order-items", "#lang-switch"}})
	must(t, chromedp.Do(shopper,
		chromedp.Navigate(a.URL()+"/"),
		chromedp.WaitVisible(`li[data-sku="TEA-BAI"] button.add-to-cart`),
		chromedp.Click(`li[data-sku="TEA-BAI"] button.add-to-cart`),
		chromedp.WaitVisible(`#cart-total`),
	))
	for _, lang := range []string{"zh", "en"} {
		for _, s := range screens {
			tab := shopper
			if s.owner {
				tab = owner
			}
			sep := "?"
			if strings.Contains(s.path, "?") {
				sep = "&"
			}
			must(t, chromedp.Do(tab, chromedp.Navigate(a.URL()+s.path+sep+"lang="+lang), chromedp.WaitReady(`body`)))
			shot := browse(t, tab, chromedp.FullScreenshot(100)) // 100: PNG; less is JPEG
			must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s.png", s.name, lang)), shot, 0o644))
			checkScreen(t, tab, s, lang)
		}
	}
	t.Logf("screenshots in %s", dir)
}

// visibleJS says why an element is not visible to a user, or "".
const visibleJS = `(sel => {
  const e = document.querySelector(sel);
  if (!e) return "missing";
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  if (r.width < 1 || r.height < 1) return "of zero size";
  if (s.visibility === "hidden" || s.display === "none" || Number(s.opacity) === 0) return "hidden";
  const w = document.documentElement.scrollWidth;
  if (r.right <= 0 || r.left >= w || r.bottom + window.scrollY <= 0) return "outside the page";
  if (e.tagName === "IMG" && !(e.complete && e.naturalWidth > 0)) return "an image that did not load";
  return "";
})`

func checkScreen(t *testing.T, tab context.Context, s screen, lang string) {
	t.Helper()
	wantLang := map[string]string{"zh": "zh-CN", "en": "en"}[lang]
	if got := browse(t, tab, chromedp.Evaluate[string](`document.documentElement.lang`)); got != wantLang {
		t.Errorf("%s (%s): <html lang=%q>, want %q", s.name, lang, got, wantLang)
	}
	for _, sel := range s.keys {
		if why := browse(t, tab, chromedp.Evaluate[string](visibleJS+`(`+jsString(sel)+`)`)); why != "" {
			t.Errorf("%s (%s): %s is %s", s.name, lang, sel, why)
		}
	}
	// An untranslated text shows as its key, such as "cart_total".
	keys := browse(t, tab, chromedp.Evaluate[[]string](
		`(document.body.innerText.match(/\b(?:adm|prod|set|cart|pay|rcpt|err|shop|img|buyer|fulfil|status|err_page)_[a-z_]+\b/g) || [])`))
	if len(keys) > 0 {
		t.Errorf("%s (%s) shows untranslated keys %v", s.name, lang, keys)
	}
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
