package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// skus are the products' SKUs in the shop's order.
func skus(t *testing.T, r *testrig.Rig) string {
	t.Helper()
	ps, err := r.Store.AllProducts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return strings.Join(out, ",")
}

func TestAdminProductActions(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	coffee, penny := storedProduct(t, r, "COFFEE"), storedProduct(t, r, "PENNY")
	act := func(id uint, what string, form url.Values) adminPage {
		t.Helper()
		return adminPost(t, r, b, fmt.Sprintf("/admin/products/%d/%s", id, what), withToken(t, r, b, form))
	}

	// Take off sale and back.
	if p := act(coffee.ID, "active", url.Values{"active": {"0"}}); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/products" {
		t.Fatalf("deactivate = %d to %q", p.Status, p.Header.Get("Location"))
	}
	if storedProduct(t, r, "COFFEE").Active {
		t.Fatal("still on sale")
	}
	list := adminGet(t, r, b, "/admin/products")
	if !strings.Contains(list.Body, `data-sku="COFFEE" data-active="false"`) || !strings.Contains(list.Body, "已下架") {
		t.Error("the list does not show it off sale")
	}
	act(coffee.ID, "active", url.Values{"active": {"1"}})
	if !storedProduct(t, r, "COFFEE").Active {
		t.Fatal("not back on sale")
	}

	// Reorder.
	if p := act(penny.ID, "move", url.Values{"dir": {"up"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("move up = %d", p.Status)
	}
	if got := skus(t, r); got != "PENNY,COFFEE" {
		t.Fatalf("after moving PENNY up: %s", got)
	}
	act(penny.ID, "move", url.Values{"dir": {"up"}}) // already first: stays
	if got := skus(t, r); got != "PENNY,COFFEE" {
		t.Fatalf("moving the first up: %s", got)
	}
	act(penny.ID, "move", url.Values{"dir": {"down"}})
	if got := skus(t, r); got != "COFFEE,PENNY" {
		t.Fatalf("after moving PENNY down: %s", got)
	}
	list = adminGet(t, r, b, "/admin/products")
	if !strings.Contains(list.Body, `data-sku="COFFEE" data-active="true" data-position="1"`) {
		t.Error("the list is not in the shop's order")
	}

	// Bad requests change nothing.
	for _, tt := range []struct {
		id     uint
		what   string
		form   url.Values
		status int
	}{
		{coffee.ID, "move", url.Values{"dir": {"sideways"}}, 400},
		{coffee.ID, "move", nil, 400},
		{coffee.ID, "active", url.Values{"active": {"yes"}}, 400},
		{999, "move", url.Values{"dir": {"up"}}, 404},
		{999, "active", url.Values{"active": {"0"}}, 404},
	} {
		if p := act(tt.id, tt.what, tt.form); p.Status != tt.status {
			t.Errorf("%s %d %v = %d, want %d", tt.what, tt.id, tt.form, p.Status, tt.status)
		}
	}
	if got := skus(t, r); got != "COFFEE,PENNY" || !storedProduct(t, r, "COFFEE").Active {
		t.Error("a bad request changed the products")
	}
}

func TestAdminProductFormsNeedTheToken(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	coffee := storedProduct(t, r, "COFFEE")
	before, _ := r.Store.AllProducts(t.Context())
	set := r.Svc.ShopSettings(t.Context())
	edit := productValues("COFFEE")
	edit.Set("price", "1")
	posts := []struct {
		path string
		form url.Values
		file bool
	}{
		{"/admin/products", productValues("NEW-1"), true},
		{fmt.Sprintf("/admin/products/%d", coffee.ID), edit, true},
		{fmt.Sprintf("/admin/products/%d/move", coffee.ID), url.Values{"dir": {"down"}}, false},
		{fmt.Sprintf("/admin/products/%d/active", coffee.ID), url.Values{"active": {"0"}}, false},
		{"/admin/settings", url.Values{"shop_name": {"偷改的店"}}, true},
	}
	for _, tt := range posts {
		for _, token := range []string{"", "forged", strings.Repeat("A", 43)} {
			form := url.Values{"csrf_token": {token}}
			for k, v := range tt.form {
				form[k] = v
			}
			var p adminPage
			if tt.file {
				p = adminUpload(t, r, b, tt.path, form, fileUpload{"image", "a.png", testPNG(t, 5, 5)})
			} else {
				p = adminPost(t, r, b, tt.path, form)
			}
			if p.Status != http.StatusForbidden {
				t.Errorf("POST %s with token %q = %d, want 403", tt.path, token, p.Status)
			}
		}
	}
	after, _ := r.Store.AllProducts(t.Context())
	if fmt.Sprint(before) != fmt.Sprint(after) || r.CountRows(t, "images") != 0 || r.Svc.ShopSettings(t.Context()) != set {
		t.Errorf("a POST without the token changed something:\n%v\n%v", before, after)
	}
	if _, saved, _ := r.Store.ShopSettings(t.Context()); saved {
		t.Error("settings saved without the token")
	}

	out := r.Browser(t) // signed out: to the login page, nothing changes
	for _, tt := range posts {
		if p := adminPost(t, r, out, tt.path, tt.form); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login" {
			t.Errorf("signed out, POST %s = %d to %q", tt.path, p.Status, p.Header.Get("Location"))
		}
	}
	for _, path := range []string{"/admin/products", "/admin/products/new", "/admin/settings"} {
		if p := adminGet(t, r, out, path); p.Status != http.StatusSeeOther {
			t.Errorf("signed out, GET %s = %d", path, p.Status)
		}
	}
}

func TestAdminEmptyShopAddsItsFirstProduct(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	b := r.AdminBrowser(t)
	if p := adminGet(t, r, b, "/admin"); p.Header.Get("Location") != "/admin/orders" {
		t.Errorf("with products, /admin goes to %q", p.Header.Get("Location"))
	}
	emptyCatalogue(t, r)
	if p := adminGet(t, r, b, "/admin"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/products" {
		t.Fatalf("with no product, /admin = %d to %q", p.Status, p.Header.Get("Location"))
	}
	list := okBody(t, adminGet(t, r, b, "/admin/products"))
	for _, want := range []string{`id="no-products"`, "添加第一个商品", `href="/admin/products/new" id="add-first-product"`, "出现在商店首页"} {
		if !strings.Contains(list, want) {
			t.Errorf("the empty list lacks %s", want)
		}
	}
	if strings.Contains(list, `id="products"`) {
		t.Error("an empty table under the call to action")
	}
	en := okBody(t, adminGet(t, r, b, "/admin/products?lang=en"))
	if !strings.Contains(en, "Add your first product") {
		t.Error("no English call to action")
	}
	form := productValues("FIRST")
	form.Set("stock", "")
	if p := adminUpload(t, r, b, "/admin/products", withToken(t, r, b, form)); p.Status != http.StatusSeeOther {
		t.Fatalf("first product = %d", p.Status)
	}
	first := storedProduct(t, r, "FIRST")
	if first == nil || first.Stock != nil || first.ImageID != 0 || first.Price != models.Money(12850) {
		t.Fatalf("first product %+v", first)
	}
	if p := adminGet(t, r, b, "/admin"); p.Header.Get("Location") != "/admin/orders" {
		t.Errorf("after the first product, /admin goes to %q", p.Header.Get("Location"))
	}
}
