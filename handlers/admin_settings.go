package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// The owner's settings (/admin/settings): how the shop presents itself and
// which buyer details the checkout asks for.

type adminSettingsData struct {
	Set     models.ShopSettings
	Unnamed bool              // never named: the shop shows "在线商店"
	Saved   bool              // just saved
	Bad     map[string]string // field → message
	Invalid string            // the message above the form
}

// adminSettings shows the settings form with what is in use.
func (h *Handler) adminSettings(c *gin.Context) {
	set := h.svc.ShopSettings(c.Request.Context())
	d := adminSettingsData{Set: set, Unnamed: set.ShopName == "", Saved: c.Query("saved") == "1"}
	h.render(c, http.StatusOK, "admin_settings", "set_title", d)
}

// adminSaveSettings validates the whole form (fields and logo) and saves
// it; nothing changes, the logo included, unless all of it is good.
func (h *Handler) adminSaveSettings(c *gin.Context) {
	ctx := c.Request.Context()
	old := h.svc.ShopSettings(ctx)
	set := readSettingsForm(c, old)
	bad := set.Validate()
	img, imgBad := uploadedImage(c, "logo")
	if imgBad != "" {
		bad["logo"] = imgBad
	}
	if len(bad) > 0 {
		h.renderSettingsForm(c, set, bad)
		return
	}
	if img != nil {
		id, err := h.opt.Admin.SaveImage(ctx, img)
		if err != nil {
			h.fail(c, err)
			return
		}
		set.LogoImageID = id
	}
	err := h.opt.Admin.SaveShopSettings(ctx, set)
	if fields := checkout.FieldsOf(err); fields != nil {
		h.renderSettingsForm(c, set, fields)
		return
	} else if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/settings?saved=1")
}

func readSettingsForm(c *gin.Context, old models.ShopSettings) models.ShopSettings {
	field := func(name string) string { return strings.TrimSpace(c.PostForm(name)) }
	set := models.ShopSettings{ShopName: field("shop_name"), ShopNameEN: field("shop_name_en"),
		MerchantName: field("merchant_name"), Contact: field("contact"), Footer: field("footer"),
		LogoImageID: old.LogoImageID,
		Ask: models.BuyerFields{Name: c.PostForm("ask_name") == "1", Phone: c.PostForm("ask_phone") == "1",
			Address: c.PostForm("ask_address") == "1", Note: c.PostForm("ask_note") == "1"}}
	if c.PostForm("remove_logo") == "1" {
		set.LogoImageID = 0
	}
	return set
}

func (h *Handler) renderSettingsForm(c *gin.Context, set models.ShopSettings, bad map[string]string) {
	l := h.language(c)
	d := adminSettingsData{Set: set, Unnamed: set.ShopName == "", Bad: map[string]string{}, Invalid: l.T("err_invalid_fields")}
	for k, v := range bad {
		d.Bad[k] = l.T(v)
	}
	h.render(c, http.StatusBadRequest, "admin_settings", "set_title", d)
}
