package handlers

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

// productForm is the create and edit form: what the owner typed, shown
// again with a message next to each bad field.
type productForm struct {
	ID            uint // 0: a new product
	SKU           string
	Name          string
	NameEN        string
	Description   string
	DescriptionEN string
	Price         string // yuan, as typed
	Stock         string // "" : not counted
	Active        bool
	ImageID       uint
	Bad           map[string]string // field → message
	Invalid       string            // the message above the form
}

func formOfProduct(p *models.Product) productForm {
	f := productForm{ID: p.ID, SKU: p.SKU, Name: p.Name, NameEN: p.NameEN, Description: p.Description,
		DescriptionEN: p.DescriptionEN, Price: p.Price.Yuan(), Active: p.Active, ImageID: p.ImageID}
	if p.Stock != nil {
		f.Stock = strconv.Itoa(*p.Stock)
	}
	return f
}

// readProductForm reads the form into the product to save (over old when
// editing: its SKU stays) and the i18n key of each bad field.
func readProductForm(c *gin.Context, old *models.Product) (productForm, *models.Product, map[string]string) {
	f := productForm{SKU: strings.TrimSpace(c.PostForm("sku")), Name: strings.TrimSpace(c.PostForm("name")),
		NameEN: strings.TrimSpace(c.PostForm("name_en")), Description: strings.TrimSpace(c.PostForm("description")),
		DescriptionEN: strings.TrimSpace(c.PostForm("description_en")), Price: strings.TrimSpace(c.PostForm("price")),
		Stock: strings.TrimSpace(c.PostForm("stock")), Active: c.PostForm("active") == "1"}
	if old != nil {
		f.ID, f.SKU, f.ImageID = old.ID, old.SKU, old.ImageID
		if c.PostForm("remove_image") == "1" {
			f.ImageID = 0
		}
	}
	p := &models.Product{ID: f.ID, SKU: f.SKU, Name: f.Name, NameEN: f.NameEN, Description: f.Description,
		DescriptionEN: f.DescriptionEN, Active: f.Active, ImageID: f.ImageID}
	bad := map[string]string{}
	if price, err := models.ParseYuan(f.Price); err != nil {
		bad["price"] = "err_price"
	} else {
		p.Price = price
	}
	if f.Stock != "" {
		n, err := strconv.Atoi(f.Stock)
		if err != nil {
			bad["stock"] = "err_stock"
		} else {
			p.Stock = &n
		}
	}
	for k, v := range p.Validate() {
		if _, ok := bad[k]; !ok {
			bad[k] = v
		}
	}
	return f, p, bad
}

// renderProductForm shows the form; bad holds the i18n key per field.
func (h *Handler) renderProductForm(c *gin.Context, status int, f productForm, bad map[string]string) {
	l := h.language(c)
	if len(bad) > 0 {
		f.Bad = make(map[string]string, len(bad))
		for k, v := range bad {
			f.Bad[k] = l.T(v)
		}
		f.Invalid = l.T("err_invalid_fields")
	}
	title := "prod_new_title"
	if f.ID != 0 {
		title = "prod_edit_title"
	}
	h.render(c, status, "admin_product", title, f)
}
