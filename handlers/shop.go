package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
)

type shopData struct {
	Products []models.Product
	MaxQty   int
}

// shop lists the products, each with a form that posts to /checkout.
func (h *Handler) shop(c *gin.Context) {
	ps, err := h.svc.Products(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.csrfToken(c)
	h.render(c, http.StatusOK, "shop", "shop_name", shopData{Products: ps, MaxQty: maxQty})
}
