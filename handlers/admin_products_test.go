package handlers_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// productValues is a valid create form for sku.
func productValues(sku string) url.Values {
	return url.Values{"sku": {sku}, "name": {"西湖龙井 100g"}, "name_en": {"Longjing tea 100g"},
		"description": {"明前头采"}, "description_en": {"First spring picking"}, "price": {"128.50"},
		"stock": {"5"}, "active": {"1"}}
}

// storedProduct is the stored product, or nil.
func storedProduct(t *testing.T, r *testrig.Rig, sku string) *models.Product {
	t.Helper()
	ps, err := r.Store.AllProducts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if ps[i].SKU == sku {
			return &ps[i]
		}
	}
	return nil
}

var thumbSrc = regexp.MustCompile(`<img class="thumb" src="(/images/[0-9]+)"`)

func TestAdminProductCreateAndEdit(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)

	list := adminGet(t, r, b, "/admin/products")
	for _, want := range []string{`data-sku="COFFEE"`, `data-sku="PENNY"`, "¥58.00", "不限", `href="/admin/products/new"`, `id="nav-products"`, `id="nav-settings"`} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	if p := adminGet(t, r, b, "/admin/products/new"); p.Status != 200 || !strings.Contains(p.Body, `enctype="multipart/form-data"`) {
		t.Fatalf("new product form = %d", p.Status)
	}

	p := adminUpload(t, r, b, "/admin/products", withToken(t, r, b, productValues("TEA-1")), fileUpload{"image", "tea.png", testPNG(t, 60, 40)})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/products?saved=TEA-1" {
		t.Fatalf("create = %d to %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	tea := storedProduct(t, r, "TEA-1")
	if tea == nil || tea.Name != "西湖龙井 100g" || tea.NameEN != "Longjing tea 100g" || tea.DescriptionEN != "First spring picking" ||
		tea.Price != 12850 || tea.Stock == nil || *tea.Stock != 5 || !tea.Active || tea.ImageID == 0 {
		t.Fatalf("stored %+v", tea)
	}
	if all, _ := r.Store.AllProducts(t.Context()); all[len(all)-1].SKU != "TEA-1" {
		t.Error("a new product is not last")
	}
	img, err := r.Svc.Image(t.Context(), tea.ImageID)
	if err != nil || img.ContentType != "image/png" || img.Width != 60 || img.Height != 40 {
		t.Fatalf("stored image %v, %v", img, err)
	}
	list = adminGet(t, r, b, "/admin/products?saved=TEA-1")
	if !strings.Contains(list.Body, `id="notice"`) || !strings.Contains(list.Body, "商品 TEA-1 已保存") {
		t.Error("no notice after saving")
	}
	if m := thumbSrc.FindStringSubmatch(list.Body); m == nil || m[1] != fmt.Sprintf("/images/%d", tea.ImageID) {
		t.Errorf("thumbnail %v", m)
	}
	if l := adminGet(t, r, b, "/admin/products?saved=<b>made-up</b>"); strings.Contains(l.Body, `id="notice"`) {
		t.Error("a notice for a SKU that is not in the list")
	}

	// Edit: the SKU stays, the picture stays unless replaced or removed,
	// an empty stock is not counted.
	path := fmt.Sprintf("/admin/products/%d", tea.ID)
	form := okBody(t, adminGet(t, r, b, path))
	for _, want := range []string{`value="128.50"`, `value="5"`, "Longjing tea 100g", `name="remove_image"`, `disabled`} {
		if !strings.Contains(form, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	edit := productValues("OTHER")
	edit.Set("price", "99")
	edit.Set("stock", "")
	edit.Del("active")
	p = adminUpload(t, r, b, path, withToken(t, r, b, edit))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("edit = %d:\n%s", p.Status, p.Body)
	}
	got := storedProduct(t, r, "TEA-1")
	if got == nil || got.Price != 9900 || got.Stock != nil || got.Active || got.ImageID != tea.ImageID || storedProduct(t, r, "OTHER") != nil {
		t.Fatalf("after edit %+v", got)
	}
	p = adminUpload(t, r, b, path, withToken(t, r, b, edit), fileUpload{"image", "new.png", testPNG(t, 30, 30)})
	if got = storedProduct(t, r, "TEA-1"); p.Status != http.StatusSeeOther || got.ImageID == tea.ImageID || got.ImageID == 0 {
		t.Fatalf("new picture: %d, image %d", p.Status, got.ImageID)
	}
	edit.Set("remove_image", "1")
	p = adminUpload(t, r, b, path, withToken(t, r, b, edit))
	if got = storedProduct(t, r, "TEA-1"); p.Status != http.StatusSeeOther || got.ImageID != 0 {
		t.Fatalf("remove picture: %d, image %d", p.Status, got.ImageID)
	}
	// A plain (not multipart) form is fine too.
	edit.Set("price", "1,280")
	if p = adminPost(t, r, b, path, withToken(t, r, b, edit)); p.Status != http.StatusSeeOther || storedProduct(t, r, "TEA-1").Price != 128000 {
		t.Fatalf("urlencoded edit = %d", p.Status)
	}
	for _, bad := range []string{"/admin/products/999", "/admin/products/abc", "/admin/products/01"} {
		if p := adminGet(t, r, b, bad); p.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, p.Status)
		}
	}
	if p := adminUpload(t, r, b, "/admin/products/999", withToken(t, r, b, edit)); p.Status != http.StatusNotFound {
		t.Errorf("edit of an unknown product = %d", p.Status)
	}
}

func okBody(t *testing.T, p adminPage) string {
	t.Helper()
	if p.Status != 200 {
		t.Fatalf("page = %d", p.Status)
	}
	return p.Body
}

func TestAdminProductValidation(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	cases := []struct {
		field, value, msg string
	}{
		{"sku", "bad sku!", "编号须为"},
		{"sku", "-lead", "编号须为"},
		{"sku", strings.Repeat("A", 33), "编号须为"},
		{"sku", "COFFEE", "此商品编号已被使用"},
		{"name", "", "必填"},
		{"name", "   ", "必填"},
		{"name", strings.Repeat("茶", 61), "内容过长"},
		{"name_en", strings.Repeat("t", 61), "内容过长"},
		{"description", strings.Repeat("d", 501), "内容过长"},
		{"price", "abc", "价格须为"},
		{"price", "0", "价格须为"},
		{"price", "0.001", "价格须为"},
		{"price", "-1", "价格须为"},
		{"price", "99999999999", "价格须为"},
		{"price", "10000000.01", "价格须为"},
		{"price", "", "价格须为"},
		{"stock", "-1", "库存须为"},
		{"stock", "1.5", "库存须为"},
		{"stock", "lots", "库存须为"},
		{"stock", "1000001", "库存须为"},
	}
	images := r.CountRows(t, "images")
	for _, tt := range cases {
		form := productValues("NEW-1")
		form.Set(tt.field, tt.value)
		// A good picture with a bad field is not kept either.
		p := adminUpload(t, r, b, "/admin/products", withToken(t, r, b, form), fileUpload{"image", "ok.png", testPNG(t, 20, 20)})
		if p.Status != http.StatusBadRequest {
			t.Errorf("%s=%q: %d, want 400", tt.field, tt.value, p.Status)
			continue
		}
		re := regexp.MustCompile(`<span class="field-error" id="err-` + tt.field + `">([^<]*)</span>`)
		if m := re.FindStringSubmatch(p.Body); m == nil || !strings.Contains(m[1], tt.msg) {
			t.Errorf("%s=%q: message %v, want %q", tt.field, tt.value, m, tt.msg)
		}
		if !strings.Contains(p.Body, `aria-invalid="true" aria-describedby="err-`+tt.field+`"`) {
			t.Errorf("%s=%q: the field is not marked invalid", tt.field, tt.value)
		}
		typed := `value="128.50"`
		if tt.field == "price" {
			typed = `value="` + html.EscapeString(tt.value) + `"`
		}
		if !strings.Contains(p.Body, "请修改标出的内容") || !strings.Contains(p.Body, typed) {
			t.Errorf("%s=%q: the form is not shown again with what was typed", tt.field, tt.value)
		}
		if storedProduct(t, r, "NEW-1") != nil || r.CountRows(t, "images") != images {
			t.Fatalf("%s=%q: something was saved", tt.field, tt.value)
		}
	}
	if n := r.CountRows(t, "products"); n != 2 {
		t.Errorf("%d products, want the rig's 2", n)
	}

	// Editing: a bad price changes nothing.
	coffee := storedProduct(t, r, "COFFEE")
	form := productValues("COFFEE")
	form.Set("price", "0.001")
	p := adminUpload(t, r, b, fmt.Sprintf("/admin/products/%d", coffee.ID), withToken(t, r, b, form), fileUpload{"image", "ok.png", testPNG(t, 21, 20)})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="err-price"`) {
		t.Fatalf("bad edit = %d", p.Status)
	}
	if got := storedProduct(t, r, "COFFEE"); *got != *coffee || r.CountRows(t, "images") != images {
		t.Errorf("a refused edit changed %+v to %+v", coffee, got)
	}
}

func TestAdminProductBadUploads(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	coffee := storedProduct(t, r, "COFFEE")
	for _, tt := range badUploads(t) {
		tt.file.field = "image"
		for _, path := range []string{"/admin/products", fmt.Sprintf("/admin/products/%d", coffee.ID)} {
			p := adminUpload(t, r, b, path, withToken(t, r, b, productValues("NEW-2")), tt.file)
			m := regexp.MustCompile(`id="err-image">([^<]*)<`).FindStringSubmatch(p.Body)
			if p.Status != http.StatusBadRequest || m == nil || !strings.Contains(m[1], tt.key) {
				t.Errorf("%s to %s: %d, message %v; want 400 with %q", tt.name, path, p.Status, m, tt.key)
			}
		}
		if storedProduct(t, r, "NEW-2") != nil || r.CountRows(t, "images") != 0 || *storedProduct(t, r, "COFFEE") != *coffee {
			t.Fatalf("%s: something was saved", tt.name)
		}
	}
	// A body far over the cap is refused before it is read.
	p := adminUpload(t, r, b, "/admin/products", withToken(t, r, b, productValues("NEW-3")), fileUpload{"image", "huge.png", make([]byte, 3<<20)})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "图片超过 2 MB") || storedProduct(t, r, "NEW-3") != nil {
		t.Errorf("a 3 MiB upload = %d", p.Status)
	}
	// Other admin forms keep the small cap.
	big := url.Values{"csrf_token": {adminToken(t, r, b)}, "dir": {strings.Repeat("x", 2<<20)}}
	if p := adminPost(t, r, b, fmt.Sprintf("/admin/products/%d/move", coffee.ID), big); p.Status < 400 {
		t.Errorf("a 2 MiB move form = %d", p.Status)
	}
}
