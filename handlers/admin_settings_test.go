package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

func settingsValues() url.Values {
	return url.Values{"shop_name": {"山间茶舍"}, "shop_name_en": {"Mountain Tea House"}, "merchant_name": {"杭州山间茶业有限公司"},
		"contact": {"0571-88886666"}, "footer": {"每周一至周五发货"}, "ask_name": {"1"}, "ask_phone": {"1"}, "ask_address": {"1"}}
}

func TestAdminSettings(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)

	// Never saved (the rig runs as a real shop would): empty, with the hint.
	form := okBody(t, adminGet(t, r, b, "/admin/settings"))
	for _, want := range []string{`id="unnamed-hint"`, "在线商店", `name="shop_name" value=""`, `name="ask_note" value="1">`, "备注为选填"} {
		if !strings.Contains(form, want) {
			t.Errorf("the first settings form lacks %s", want)
		}
	}

	p := adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, settingsValues()), fileUpload{"logo", "logo.png", testPNG(t, 64, 64)})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/settings?saved=1" {
		t.Fatalf("save = %d to %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	set, saved, err := r.Store.ShopSettings(t.Context())
	if err != nil || !saved || set.ShopName != "山间茶舍" || set.ShopNameEN != "Mountain Tea House" || set.MerchantName != "杭州山间茶业有限公司" ||
		set.Contact != "0571-88886666" || set.Footer != "每周一至周五发货" || set.LogoImageID == 0 ||
		set.Ask != (models.BuyerFields{Name: true, Phone: true, Address: true}) {
		t.Fatalf("saved %+v, %v, %v", set, saved, err)
	}
	if img, err := r.Svc.Image(t.Context(), set.LogoImageID); err != nil || img.Width != 64 {
		t.Fatalf("logo %v, %v", img, err)
	}
	form = okBody(t, adminGet(t, r, b, "/admin/settings?saved=1"))
	for _, want := range []string{`id="notice"`, `value="山间茶舍"`, fmt.Sprintf(`src="/images/%d"`, set.LogoImageID), `name="ask_phone" value="1" checked`} {
		if !strings.Contains(form, want) {
			t.Errorf("the saved settings form lacks %s", want)
		}
	}
	if strings.Contains(form, `id="unnamed-hint"`) {
		t.Error("the hint stays after naming the shop")
	}
	if shop := okBody(t, adminGet(t, r, r.Browser(t), "/")); !strings.Contains(shop, "山间茶舍") {
		t.Error("the shop does not show its new name")
	}

	// Saved again without a file: the logo stays; ticked off: it goes.
	next := settingsValues()
	next.Del("ask_address")
	next.Set("ask_note", "1")
	adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, next))
	if got := r.Svc.ShopSettings(t.Context()); got.LogoImageID != set.LogoImageID || got.Ask.Address || !got.Ask.Note {
		t.Fatalf("after saving without a logo: %+v", got)
	}
	next.Set("remove_logo", "1")
	adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, next))
	if got := r.Svc.ShopSettings(t.Context()); got.LogoImageID != 0 {
		t.Fatalf("remove logo: %+v", got)
	}
}

func TestAdminSettingsValidation(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, settingsValues()))
	before := r.Svc.ShopSettings(t.Context())
	cases := []struct {
		field, value, msg string
	}{
		{"shop_name", "", "必填"},
		{"shop_name", "  ", "必填"},
		{"shop_name", strings.Repeat("店", 41), "内容过长"},
		{"shop_name_en", strings.Repeat("s", 41), "内容过长"},
		{"merchant_name", strings.Repeat("m", 81), "内容过长"},
		{"contact", strings.Repeat("c", 101), "内容过长"},
		{"footer", strings.Repeat("页", 201), "内容过长"},
		{"footer", "a\x00b", "不允许的字符"},
	}
	for _, tt := range cases {
		form := settingsValues()
		form.Set(tt.field, tt.value)
		form.Set("contact", "new contact")
		if tt.field == "contact" {
			form.Set("contact", tt.value)
		}
		p := adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, form), fileUpload{"logo", "logo.png", testPNG(t, 9, 9)})
		re := regexp.MustCompile(`id="err-` + tt.field + `">([^<]*)<`)
		m := re.FindStringSubmatch(p.Body)
		if p.Status != http.StatusBadRequest || m == nil || !strings.Contains(m[1], tt.msg) {
			t.Errorf("%s=%q: %d, message %v; want 400 with %q", tt.field, tt.value, p.Status, m, tt.msg)
		}
		if tt.field != "contact" && !strings.Contains(p.Body, `value="new contact"`) {
			t.Errorf("%s=%q: the form does not keep what was typed", tt.field, tt.value)
		}
		if got := r.Svc.ShopSettings(t.Context()); got != before || r.CountRows(t, "images") != 0 {
			t.Fatalf("%s=%q: saved %+v", tt.field, tt.value, got)
		}
	}
	for _, tt := range badUploads(t) {
		tt.file.field = "logo"
		p := adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, settingsValues()), tt.file)
		m := regexp.MustCompile(`id="err-logo">([^<]*)<`).FindStringSubmatch(p.Body)
		if p.Status != http.StatusBadRequest || m == nil || !strings.Contains(m[1], tt.key) {
			t.Errorf("logo %s: %d, message %v; want 400 with %q", tt.name, p.Status, m, tt.key)
		}
		if got := r.Svc.ShopSettings(t.Context()); got != before || r.CountRows(t, "images") != 0 {
			t.Fatalf("logo %s: saved %+v", tt.name, got)
		}
	}
	p := adminUpload(t, r, b, "/admin/settings", withToken(t, r, b, settingsValues()), fileUpload{"logo", "huge.png", make([]byte, 3<<20)})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "图片超过 2 MB") {
		t.Errorf("a 3 MiB logo = %d", p.Status)
	}
	en := adminUpload(t, r, b, "/admin/settings?lang=en", withToken(t, r, b, url.Values{"shop_name": {""}}))
	if !strings.Contains(en.Body, "Required") {
		t.Error("no English message")
	}
}
