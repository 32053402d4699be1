package handlers

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/models"
)

// flash is the outcome of an action, shown once on the page it returns to.
// It travels in a short-lived cookie, not in the URL, so that no link can
// make the console show a message of someone else's choosing.
type flash struct {
	OK      bool
	Message string
}

const flashCookie = "admin_flash"

func (h *Handler) setFlash(c *gin.Context, f flash) {
	v := "e" + base64.RawURLEncoding.EncodeToString([]byte(f.Message))
	if f.OK {
		v = "o" + v[1:]
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: v, Path: adminPath, MaxAge: 60,
		HttpOnly: true, Secure: h.opt.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads the flash and clears it.
func (h *Handler) takeFlash(c *gin.Context) *flash {
	v, err := c.Cookie(flashCookie)
	if err != nil || len(v) < 2 {
		return nil
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Path: adminPath, MaxAge: -1,
		HttpOnly: true, Secure: h.opt.SecureCookies, SameSite: http.SameSiteStrictMode})
	msg, err := base64.RawURLEncoding.DecodeString(v[1:])
	if err != nil {
		return nil
	}
	return &flash{OK: v[0] == 'o', Message: string(msg)}
}

func (h *Handler) adminSync(c *gin.Context)  { h.adminAction(c, checkout.ActionSync) }
func (h *Handler) adminClose(c *gin.Context) { h.adminAction(c, checkout.ActionClose) }

// adminAction runs an action as the signed-in admin and goes back to the
// order with the outcome; a refusal's public reason is shown as it is.
func (h *Handler) adminAction(c *gin.Context, action string) {
	no := c.Param("out_trade_no")
	o, err := h.opt.Admin.AdminAction(c.Request.Context(), no, action, adminSession(c).Actor)
	switch {
	case o == nil && err != nil:
		h.fail(c, err) // no such order, or the database
		return
	case err != nil && httpStatus(err) == http.StatusInternalServerError:
		h.log.Error("admin action", "action", action, "out_trade_no", no, "err", err, "request_id", c.GetString(requestIDKey))
		h.setFlash(c, flash{Message: h.language(c).T(msgInternal)})
	case err != nil:
		h.setFlash(c, flash{Message: h.language(c).Error(err)})
	default:
		h.setFlash(c, flash{OK: true, Message: actionResult(h.language(c), action, o)})
	}
	c.Redirect(http.StatusSeeOther, "/admin/orders/"+url.PathEscape(no))
}

func actionResult(l Lang, action string, o *models.Order) string {
	if action == checkout.ActionClose && o.Status == models.StatusPaid {
		return l.T("admin_close_was_paid")
	}
	return fmt.Sprintf(l.T("admin_action_done_"+action), l.T("status_"+string(o.Status)), o.Status)
}
