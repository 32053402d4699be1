package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
	"wxcheckout/templates"
)

// pages holds one template set per page (layout + page), parsed once.
type pages struct {
	byName map[string]*template.Template
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(templates.FS, "*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: make(map[string]*template.Template)}
	for _, n := range names {
		if n == "layout.html" || strings.HasPrefix(n, "_") {
			continue
		}
		t, err := template.New(n).ParseFS(templates.FS, "layout.html", "_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		p.byName[strings.TrimSuffix(n, ".html")] = t
	}
	return p, nil
}

// view is what every page template receives.
type view struct {
	L     Lang
	Title string
	CSRF  string
	Data  any
	// ShopLink makes the header's brand a link to the built-in shop; not
	// on a gateway order's page, whose shopper belongs to a merchant.
	ShopLink bool
	// Shop is the owner's settings: name, merchant, logo, contact, footer.
	Shop models.ShopSettings
	// Admin is set on the admin console's pages (signed in): they load
	// admin.css and admin.js.
	Admin bool
	// SwitchURL is the header's language switch: this page in the other
	// language, or the page a POST's form came from (switch.go).
	SwitchURL string
}

// merchantPage is page data that belongs to a merchant's shopper.
type merchantPage interface{ ForMerchant() bool }

// render executes the page into a buffer first, so that a template error
// sends a clean error page and never half a page.
func (h *Handler) render(c *gin.Context, status int, page, title string, data any) {
	t, ok := h.pages.byName[page]
	if !ok {
		h.log.Error("no such template", "page", page)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	l := h.language(c)
	v := view{L: l, Title: l.T(title), CSRF: c.GetString(csrfKey), Data: data, ShopLink: true, Shop: h.svc.ShopSettings(c.Request.Context())}
	if _, ok := c.Get(adminKey); ok {
		v.Admin = true
	}
	v.SwitchURL = switchURL(c, l.other())
	if m, ok := data.(merchantPage); ok && m.ForMerchant() {
		v.ShopLink = false
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("render", "page", page, "err", err, "request_id", c.GetString(requestIDKey))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// ShopName is the shop's name in the page's language: the owner's, or a
// plain "online shop" until the owner gives one.
func (v view) ShopName() string {
	if v.L == LangEN && v.Shop.ShopNameEN != "" {
		return v.Shop.ShopNameEN
	}
	if v.Shop.ShopName != "" {
		return v.Shop.ShopName
	}
	return v.L.T("shop_default_name")
}

// MerchantName is who the shopper pays: the owner's merchant name, else
// the shop's name.
func (v view) MerchantName() string {
	if v.Shop.MerchantName != "" {
		return v.Shop.MerchantName
	}
	return v.ShopName()
}
