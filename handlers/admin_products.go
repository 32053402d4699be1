package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// The owner's products (/admin/products): the list with its actions; the
// create and edit form is admin_product_form.go.

type productRow struct {
	ID       uint
	SKU      string
	Name     string
	NameEN   string
	Price    string // yuan
	Stock    string // "" when not counted
	SoldOut  bool
	Active   bool
	ImageID  uint
	First    bool
	Last     bool
	Position int
}

type adminProductsData struct {
	Products []productRow
	Saved    string // the SKU just saved, when it is one of the list's
	Flash    *flash
}

// adminProducts lists every product, on sale or not, in the shop's order.
func (h *Handler) adminProducts(c *gin.Context) {
	ps, err := h.opt.Admin.AllProducts(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminProductsData{Flash: h.takeFlash(c)}
	saved := c.Query("saved")
	for i, p := range ps {
		row := productRow{ID: p.ID, SKU: p.SKU, Name: p.Name, NameEN: p.NameEN, Price: p.Price.Yuan(),
			SoldOut: p.SoldOut(), Active: p.Active, ImageID: p.ImageID, First: i == 0, Last: i == len(ps)-1, Position: i + 1}
		if p.Stock != nil {
			row.Stock = strconv.Itoa(*p.Stock)
		}
		if p.SKU == saved { // only a SKU of the list: no link makes up a message
			d.Saved = p.SKU
		}
		d.Products = append(d.Products, row)
	}
	h.render(c, http.StatusOK, "admin_products", "prod_title", d)
}

// adminMoveProduct moves a product one place up or down (dir=up|down).
func (h *Handler) adminMoveProduct(c *gin.Context) {
	delta := map[string]int{"up": -1, "down": 1}[c.PostForm("dir")]
	h.productAction(c, delta != 0, func(id uint) error {
		return h.opt.Admin.MoveProduct(c.Request.Context(), id, delta)
	})
}

// adminSetProductActive puts a product on sale (active=1) or takes it off (0).
func (h *Handler) adminSetProductActive(c *gin.Context) {
	v := c.PostForm("active")
	h.productAction(c, v == "1" || v == "0", func(id uint) error {
		return h.opt.Admin.SetProductActive(c.Request.Context(), id, v == "1")
	})
}

// productAction runs an action on the product of the URL when the form was
// valid (ok) and goes back to the list.
func (h *Handler) productAction(c *gin.Context, ok bool, do func(id uint) error) {
	id, found := productID(c)
	if !found {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	if !ok {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	if err := do(id); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/products")
}

// productID reads :id; anything but an ID is a page that does not exist.
func productID(c *gin.Context) (uint, bool) {
	return imageID(c.Param("id"))
}

// adminProduct shows the form of a product.
func (h *Handler) adminProduct(c *gin.Context) {
	id, ok := productID(c)
	if !ok {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	p, err := h.opt.Admin.Product(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderProductForm(c, http.StatusOK, formOfProduct(p), nil)
}

// adminNewProduct shows an empty form, on sale by default.
func (h *Handler) adminNewProduct(c *gin.Context) {
	h.renderProductForm(c, http.StatusOK, productForm{Active: true}, nil)
}

// adminCreateProduct adds the product of the form.
func (h *Handler) adminCreateProduct(c *gin.Context) {
	h.saveProduct(c, nil)
}

// adminUpdateProduct saves the form over the product of the URL; its SKU
// stays what it was.
func (h *Handler) adminUpdateProduct(c *gin.Context) {
	id, ok := productID(c)
	if !ok {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	old, err := h.opt.Admin.Product(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.saveProduct(c, old)
}

// saveProduct validates the whole form (fields and picture) and changes
// nothing unless all of it is good: the picture is kept only then.
func (h *Handler) saveProduct(c *gin.Context, old *models.Product) {
	ctx := c.Request.Context()
	f, p, bad := readProductForm(c, old)
	img, imgBad := uploadedImage(c, "image")
	if imgBad != "" {
		bad["image"] = imgBad
	}
	if old == nil && bad["sku"] == "" && h.skuTaken(c, p.SKU) {
		bad["sku"] = "err_sku_taken"
	}
	if len(bad) > 0 {
		h.renderProductForm(c, http.StatusBadRequest, f, bad)
		return
	}
	if img != nil {
		id, err := h.opt.Admin.SaveImage(ctx, img)
		if err != nil {
			h.fail(c, err)
			return
		}
		p.ImageID = id
	}
	var err error
	if old == nil {
		err = h.opt.Admin.CreateProduct(ctx, p)
	} else {
		err = h.opt.Admin.UpdateProduct(ctx, p)
	}
	if fields := checkout.FieldsOf(err); fields != nil {
		h.renderProductForm(c, http.StatusBadRequest, f, fields)
		return
	} else if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/products?saved="+p.SKU)
}

// skuTaken: a new product's SKU is checked before its picture is kept
// (CreateProduct checks again).
func (h *Handler) skuTaken(c *gin.Context, sku string) bool {
	ps, err := h.opt.Admin.AllProducts(c.Request.Context())
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.SKU == sku {
			return true
		}
	}
	return false
}
