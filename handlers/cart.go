package handlers

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// The cart lives in the shopper's browser, in the cookie "cart":
// "SKU:qty,SKU:qty". It is only a wish list: what an order costs is always
// the checkout's Quote at the products' current prices.
const (
	cartCookie = "cart"
	cartMaxAge = 30 * 24 * 3600
)

var cartSKU = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// parseCart reads the cart cookie's value; anything malformed is an empty
// cart rather than an error.
func parseCart(v string) []checkout.Line {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > checkout.MaxCartLines {
		return nil
	}
	lines := make([]checkout.Line, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		sku, q, ok := strings.Cut(p, ":")
		n, err := strconv.Atoi(q)
		if !ok || !cartSKU.MatchString(sku) || err != nil || n < 1 || n > maxQty || seen[sku] {
			return nil
		}
		seen[sku] = true
		lines = append(lines, checkout.Line{SKU: sku, Quantity: n})
	}
	return lines
}

func formatCart(lines []checkout.Line) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = l.SKU + ":" + strconv.Itoa(l.Quantity)
	}
	return strings.Join(parts, ",")
}

func (h *Handler) cartLines(c *gin.Context) []checkout.Line {
	v, _ := c.Cookie(cartCookie)
	return parseCart(v)
}

func (h *Handler) saveCart(c *gin.Context, lines []checkout.Line) {
	c.SetSameSite(http.SameSiteLaxMode)
	if len(lines) == 0 {
		c.SetCookie(cartCookie, "", -1, "/", "", h.opt.SecureCookies, true)
		return
	}
	c.SetCookie(cartCookie, formatCart(lines), cartMaxAge, "/", "", h.opt.SecureCookies, true)
}

// cartCount is how many pieces the cart cookie holds (the shop's link).
func cartCount(lines []checkout.Line) int {
	n := 0
	for _, l := range lines {
		n += l.Quantity
	}
	return n
}

// cartPage shows the cart and, below it, the buyer details form that
// posts the order to /checkout.
func (h *Handler) cartPage(c *gin.Context) {
	lines := h.cartLines(c)
	d, err := h.checkoutForm(c, lines, true)
	if err != nil {
		h.fail(c, err)
		return
	}
	if len(d.Gone) > 0 {
		h.saveCart(c, d.Lines()) // a product gone from sale leaves the cart
	}
	h.csrfToken(c)
	h.render(c, http.StatusOK, "cart", "cart_title", d)
}

// editCart adds, sets or removes one product: action=add|set|remove, sku, qty.
func (h *Handler) editCart(c *gin.Context) {
	sku, action := c.PostForm("sku"), c.PostForm("action")
	qty, qtyErr := strconv.Atoi(c.DefaultPostForm("qty", "1"))
	if !cartSKU.MatchString(sku) || (action != "remove" && (qtyErr != nil || qty < 0 || qty > maxQty)) {
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		return
	}
	if action == "add" && !h.onSale(c, sku) {
		return
	}
	lines, key := editLines(h.cartLines(c), action, sku, qty)
	if key != "" {
		h.renderError(c, http.StatusBadRequest, key)
		return
	}
	h.saveCart(c, lines)
	c.Redirect(http.StatusSeeOther, "/cart")
}

// editLines applies one edit to a cart; a refusal is a message key. Adding
// a product already there adds to its quantity, up to maxQty; setting zero
// removes it.
func editLines(lines []checkout.Line, action, sku string, qty int) ([]checkout.Line, string) {
	at := slices.IndexFunc(lines, func(l checkout.Line) bool { return l.SKU == sku })
	switch {
	case action == "add" && at < 0 && len(lines) >= checkout.MaxCartLines:
		return nil, "cart_full"
	case action == "add" && at < 0:
		return append(lines, checkout.Line{SKU: sku, Quantity: max(qty, 1)}), ""
	case action == "add":
		lines[at].Quantity = min(maxQty, lines[at].Quantity+max(qty, 1))
	case action == "set" && at >= 0 && qty > 0:
		lines[at].Quantity = qty
	case (action == "set" || action == "remove") && at >= 0:
		return slices.Delete(lines, at, at+1), ""
	case action != "set" && action != "remove":
		return nil, msgBadRequest
	}
	return lines, ""
}

// onSale reports whether sku is a product on sale, showing the error page
// when it is not.
func (h *Handler) onSale(c *gin.Context, sku string) bool {
	ps, err := h.svc.Products(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return false
	}
	for _, p := range ps {
		if p.SKU == sku && p.Active {
			return true
		}
	}
	h.renderError(c, http.StatusNotFound, "err_product_not_found")
	return false
}

// cartView is the cart page: the lines at the server's prices and the
// buyer details form.
type cartView struct {
	Items   []cartItem
	Total   models.Money
	Count   int
	Gone    []string // products no longer on sale, dropped from the cart
	Problem string   // why the cart cannot be paid as it is (sold out…)
	// FromCart: the lines are the cart cookie's (editable); otherwise one
	// product of the shop's buy-now form.
	FromCart bool
	Ask      models.BuyerFields
	Buyer    models.Buyer
	Errors   map[string]string // form field → message
	Message  string            // above the form, when Errors is set
	MaxQty   int
	lang     Lang
}

// buyerField is one input of the buyer details form.
type buyerField struct {
	ID, Label, Value, Autocomplete, Type, Error string
	Required                                    bool
}

// Field describes the form's input for a buyer detail: name, phone,
// address or note (the names checkout.FieldsOf reports).
func (d cartView) Field(name string) buyerField {
	f := buyerField{ID: "buyer_" + name, Label: d.lang.T("buyer_" + name), Error: d.Errors[name], Type: "text", Required: true}
	switch name {
	case "name":
		f.Value, f.Autocomplete = d.Buyer.Name, "name"
	case "phone":
		f.Value, f.Autocomplete, f.Type = d.Buyer.Phone, "tel", "tel"
	case "address":
		f.Value, f.Autocomplete, f.Type = d.Buyer.Address, "street-address", "textarea"
	case "note":
		f.Value, f.Autocomplete, f.Type, f.Required = d.Buyer.Note, "off", "textarea", false
	}
	return f
}

type cartItem struct {
	SKU       string
	Name      string
	UnitPrice models.Money
	Quantity  int
	Amount    models.Money
}

// Lines are the lines the page shows, for the form and the cookie.
func (d cartView) Lines() []checkout.Line {
	ls := make([]checkout.Line, len(d.Items))
	for i, it := range d.Items {
		ls[i] = checkout.Line{SKU: it.SKU, Quantity: it.Quantity}
	}
	return ls
}

// checkoutForm prices lines for the cart page. Products no longer on sale
// are left out with a note; the total is the checkout's Quote.
func (h *Handler) checkoutForm(c *gin.Context, lines []checkout.Line, fromCart bool) (cartView, error) {
	ctx := c.Request.Context()
	lang := string(h.language(c))
	d := cartView{FromCart: fromCart, Ask: h.svc.ShopSettings(ctx).Ask, MaxQty: maxQty, lang: h.language(c)}
	ps, err := h.svc.Products(ctx)
	if err != nil {
		return d, err
	}
	bySKU := make(map[string]models.Product, len(ps))
	for _, p := range ps {
		if p.Active {
			bySKU[p.SKU] = p
		}
	}
	for _, l := range lines {
		p, ok := bySKU[l.SKU]
		if !ok {
			d.Gone = append(d.Gone, l.SKU)
			continue
		}
		d.Items = append(d.Items, cartItem{SKU: p.SKU, Name: p.DisplayName(lang), UnitPrice: p.Price, Quantity: l.Quantity, Amount: p.Price * models.Money(l.Quantity)})
	}
	if len(d.Items) == 0 {
		return d, nil
	}
	q, err := h.svc.Quote(ctx, d.Lines())
	if err != nil {
		if checkout.KindOf(err) == checkout.KindInternal {
			return d, err
		}
		d.Problem = h.language(c).Error(err)
		return d, nil
	}
	d.Total, d.Count = q.Total, q.Count()
	return d, nil
}
