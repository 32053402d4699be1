package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/auth"
	"wxcheckout/checkout"
	"wxcheckout/models"
)

// AdminService is what the admin console needs of the business;
// *checkout.Service has it.
type AdminService interface {
	OrderByOutTradeNo(ctx context.Context, no string) (*models.Order, error)
	Timeline(ctx context.Context, o *models.Order, offset, limit int) (models.TimelinePage, error)
	SearchOrders(ctx context.Context, f models.OrderFilter, offset, limit int) ([]models.Order, error)
	OrderTotals(ctx context.Context, f models.OrderFilter) (models.OrderTotals, error)
	EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error
	PaidPerDay(ctx context.Context, from, to time.Time) ([]models.DayTotal, error)
	AdminAction(ctx context.Context, no, action, actor string) (*models.Order, error)

	// Merchant apps of the gateway (SPEC §6).
	Apps(ctx context.Context) ([]models.MerchantApp, error)
	App(ctx context.Context, pid int64) (*models.MerchantApp, error)
	CreateApp(ctx context.Context, name, actor string) (*models.MerchantApp, error)
	RotateAppKey(ctx context.Context, pid int64, actor string) (*models.MerchantApp, error)
	SetAppEnabled(ctx context.Context, pid int64, enabled bool, actor string) (*models.MerchantApp, error)

	// Notifications to the merchants of gateway orders (SPEC §6 "Never lost").
	Deliveries(ctx context.Context, o *models.Order) ([]models.Delivery, error)
	FailingDeliveries(ctx context.Context, limit int) ([]models.Delivery, error)
	ResendDelivery(ctx context.Context, id uint, actor string) (*models.Delivery, error)

	// Refunds (SPEC §8).
	Refund(ctx context.Context, r checkout.RefundRequest) (ref *models.Refund, created bool, err error)
	Refunds(ctx context.Context, o *models.Order) ([]models.Refund, error)

	// The owner's shop: products, pictures, settings, fulfilment.
	AllProducts(ctx context.Context) ([]models.Product, error)
	Product(ctx context.Context, id uint) (*models.Product, error)
	CreateProduct(ctx context.Context, p *models.Product) error
	UpdateProduct(ctx context.Context, p *models.Product) error
	SetProductActive(ctx context.Context, id uint, active bool) error
	MoveProduct(ctx context.Context, id uint, delta int) error
	SaveImage(ctx context.Context, img *models.Image) (uint, error)
	SaveShopSettings(ctx context.Context, set models.ShopSettings) error
	SetFulfilment(ctx context.Context, no string, f models.Fulfilment, trackingNo, actor string) (*models.Order, error)
	OrderItems(ctx context.Context, o *models.Order) ([]models.OrderItem, error)
}

// AdminAuth signs admins in and out; *auth.Manager has it.
type AdminAuth interface {
	Login(ctx context.Context, password, client string) (string, error)
	Session(ctx context.Context, id string) (*auth.Session, error)
	Logout(ctx context.Context, id string) error
	RetryAfter() time.Duration
}

const (
	adminCookie = "admin_session"
	adminKey    = "admin"
	adminPath   = "/admin"
	loginPath   = "/admin/login"
)

// setAdminCookie sets (or, with maxAge < 0, clears) the session cookie: only
// sent to /admin, never readable by script, never sent from another site.
func (h *Handler) setAdminCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: adminCookie, Value: value, Path: adminPath, MaxAge: maxAge,
		HttpOnly: true, Secure: h.opt.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// requireAdmin lets a request through only with a valid session; anything
// else, pages, JSON or CSV alike, goes to the login page.
func (h *Handler) requireAdmin(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	id, _ := c.Cookie(adminCookie)
	s, err := h.opt.Auth.Session(c.Request.Context(), id)
	switch {
	case errors.Is(err, auth.ErrNoSession):
		if id != "" {
			h.setAdminCookie(c, "", -1)
		}
		h.language(c) // a ?lang= on the way in is remembered for the login form
		c.Redirect(http.StatusSeeOther, loginPath)
		c.Abort()
		return
	case err != nil:
		h.fail(c, err)
		c.Abort()
		return
	}
	c.Set(adminKey, s)
	c.Set(csrfKey, s.CSRF)
	c.Next()
}

// requireAdminCSRF: every admin POST carries the token bound to its session.
func (h *Handler) requireAdminCSRF(c *gin.Context) {
	s := adminSession(c)
	field := c.PostForm(csrfField)
	if s == nil || subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(field)) != 1 {
		h.renderError(c, http.StatusForbidden, msgCSRF)
		c.Abort()
		return
	}
	c.Next()
}

func adminSession(c *gin.Context) *auth.Session {
	s, _ := c.Get(adminKey)
	as, _ := s.(*auth.Session)
	return as
}

// adminHome sends /admin to the order list; the admin of a shop with no
// product yet to the products, to add the first.
func (h *Handler) adminHome(c *gin.Context) {
	if ps, err := h.opt.Admin.AllProducts(c.Request.Context()); err == nil && len(ps) == 0 {
		c.Redirect(http.StatusSeeOther, "/admin/products")
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/orders")
}
