package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Shop forms are protected by a double-submit token: a random value in a
// SameSite cookie that the form must echo. A cross-site page can make the
// browser post, but cannot read the cookie to fill in the field.
const (
	csrfCookie = "csrf"
	csrfField  = "csrf_token"
	csrfKey    = "csrf"
)

// csrfToken returns the visitor's token, issuing one when missing; pages
// with forms call it before rendering.
func (h *Handler) csrfToken(c *gin.Context) string {
	if v, err := c.Cookie(csrfCookie); err == nil && len(v) == 43 {
		c.Set(csrfKey, v)
		return v
	}
	var b [32]byte
	rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(csrfCookie, v, 0, "/", "", h.opt.SecureCookies, true)
	c.Set(csrfKey, v)
	return v
}

func (h *Handler) requireCSRF(c *gin.Context) {
	cookie, err := c.Cookie(csrfCookie)
	field := c.PostForm(csrfField)
	if err != nil || cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(field)) != 1 {
		h.renderError(c, http.StatusForbidden, msgCSRF)
		c.Abort()
		return
	}
	c.Set(csrfKey, cookie)
	c.Next()
}
