package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

type shopData struct {
	Products []shopProduct
	MaxQty   int
	// CartCount is how many pieces the cart holds, for the link to it.
	CartCount int
}

// shopProduct is a product as the shop page shows it: in the page's language.
type shopProduct struct {
	models.Product
	Title string
	Text  string
}

// shop lists the products, each with a buy-now form that posts to
// /checkout and an add-to-cart form that posts to /cart.
func (h *Handler) shop(c *gin.Context) {
	ps, err := h.svc.Products(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	lang := string(h.language(c))
	d := shopData{MaxQty: maxQty, CartCount: cartCount(h.cartLines(c))}
	for _, p := range ps { // on sale, in the owner's order
		if p.Active {
			d.Products = append(d.Products, shopProduct{Product: p, Title: p.DisplayName(lang), Text: p.DisplayDescription(lang)})
		}
	}
	h.csrfToken(c)
	h.render(c, http.StatusOK, "shop", "shop_title", d)
}
