package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/auth"
)

type adminLoginData struct {
	Error string
}

// adminLoginPage shows the password form, or the admin home to a signed-in admin.
func (h *Handler) adminLoginPage(c *gin.Context) {
	if id, err := c.Cookie(adminCookie); err == nil {
		if _, err := h.opt.Auth.Session(c.Request.Context(), id); err == nil {
			c.Redirect(http.StatusSeeOther, adminPath)
			return
		}
	}
	h.csrfToken(c) // no session yet: the login form uses the shop's token
	h.render(c, http.StatusOK, "admin_login", "admin_login_title", adminLoginData{})
}

// adminLogin checks the password and opens a session. Refusals re-show the
// form: 401 for a wrong password, 429 once the client is over the limit.
func (h *Handler) adminLogin(c *gin.Context) {
	l := h.language(c)
	_, key := h.client(c) // failures count per client key, an IPv6 client per /64
	id, err := h.opt.Auth.Login(c.Request.Context(), c.PostForm("password"), key)
	switch {
	case errors.Is(err, auth.ErrBadPassword):
		h.render(c, http.StatusUnauthorized, "admin_login", "admin_login_title", adminLoginData{Error: l.T("admin_bad_password")})
		return
	case errors.Is(err, auth.ErrRateLimited):
		c.Header("Retry-After", strconv.Itoa(int(h.opt.Auth.RetryAfter().Seconds())))
		h.render(c, http.StatusTooManyRequests, "admin_login", "admin_login_title", adminLoginData{Error: l.T("admin_rate_limited")})
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.setAdminCookie(c, id, 0)
	c.Redirect(http.StatusSeeOther, adminPath) // the home: the orders, or the products of an empty shop
}

// adminLogout ends the session on the server, not just in the browser.
func (h *Handler) adminLogout(c *gin.Context) {
	id, _ := c.Cookie(adminCookie)
	if err := h.opt.Auth.Logout(c.Request.Context(), id); err != nil {
		h.fail(c, err)
		return
	}
	h.setAdminCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, loginPath)
}
