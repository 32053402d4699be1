package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

// Merchant apps (SPEC §6): the list, one app with its key, and the actions.
// The key is shown only on its own app's page, to a signed-in admin (the
// pages are no-store); it is never put in a URL, a flash or a log line.

type appRow struct {
	Pid     int64
	Name    string
	Enabled bool
	Created string
}

type adminAppsData struct {
	Apps  []appRow
	Flash *flash
}

type adminAppData struct {
	App     appRow
	Key     string
	Updated string
	Flash   *flash
}

func newAppRow(a *models.MerchantApp) appRow {
	return appRow{Pid: a.Pid, Name: a.Name, Enabled: a.Enabled, Created: beijingTime(a.CreatedAt)}
}

// adminApps lists the apps, with a form to create one.
func (h *Handler) adminApps(c *gin.Context) {
	apps, err := h.opt.Admin.Apps(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminAppsData{Flash: h.takeFlash(c)}
	for i := range apps {
		d.Apps = append(d.Apps, newAppRow(&apps[i]))
	}
	h.render(c, http.StatusOK, "admin_apps", "admin_apps_title", d)
}

// adminCreateApp creates an app from the form's name and shows it.
func (h *Handler) adminCreateApp(c *gin.Context) {
	a, err := h.opt.Admin.CreateApp(c.Request.Context(), c.PostForm("name"), adminSession(c).Actor)
	if err != nil {
		h.appActionFailed(c, "create", 0, err)
		c.Redirect(http.StatusSeeOther, "/admin/apps")
		return
	}
	h.setFlash(c, flash{OK: true, Message: h.language(c).Tf("admin_app_created_flash", a.Pid)})
	c.Redirect(http.StatusSeeOther, appPath(a.Pid))
}

// adminApp shows one app and its key.
func (h *Handler) adminApp(c *gin.Context) {
	pid, ok := h.pidParam(c)
	if !ok {
		return
	}
	a, err := h.opt.Admin.App(c.Request.Context(), pid)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_app", "admin_app_title", adminAppData{App: newAppRow(a), Key: a.Key,
		Updated: beijingTime(a.UpdatedAt), Flash: h.takeFlash(c)})
}

func (h *Handler) adminRotateApp(c *gin.Context) {
	h.appAction(c, "rotate", func(pid int64, actor string) (*models.MerchantApp, error) {
		return h.opt.Admin.RotateAppKey(c.Request.Context(), pid, actor)
	})
}

func (h *Handler) adminEnableApp(c *gin.Context)  { h.setAppEnabled(c, true) }
func (h *Handler) adminDisableApp(c *gin.Context) { h.setAppEnabled(c, false) }

func (h *Handler) setAppEnabled(c *gin.Context, enabled bool) {
	action := "disable"
	if enabled {
		action = "enable"
	}
	h.appAction(c, action, func(pid int64, actor string) (*models.MerchantApp, error) {
		return h.opt.Admin.SetAppEnabled(c.Request.Context(), pid, enabled, actor)
	})
}

// appAction runs an action on the app of the URL and goes back to its page
// with the outcome.
func (h *Handler) appAction(c *gin.Context, action string, do func(pid int64, actor string) (*models.MerchantApp, error)) {
	pid, ok := h.pidParam(c)
	if !ok {
		return
	}
	if _, err := do(pid, adminSession(c).Actor); err != nil {
		if httpStatus(err) == http.StatusNotFound {
			h.fail(c, err)
			return
		}
		h.appActionFailed(c, action, pid, err)
	} else {
		h.setFlash(c, flash{OK: true, Message: h.language(c).T("admin_app_done_" + action)})
	}
	c.Redirect(http.StatusSeeOther, appPath(pid))
}

// appActionFailed puts the reason of a failed action in the flash; the
// cause of an internal error goes to the log only.
func (h *Handler) appActionFailed(c *gin.Context, action string, pid int64, err error) {
	if httpStatus(err) == http.StatusInternalServerError {
		h.log.Error("admin app action", "action", action, "pid", pid, "err", err, "request_id", c.GetString(requestIDKey))
		h.setFlash(c, flash{Message: h.language(c).T(msgInternal)})
		return
	}
	h.setFlash(c, flash{Message: h.language(c).Error(err)})
}

// pidParam reads :pid; anything but a pid is a page that does not exist.
func (h *Handler) pidParam(c *gin.Context) (int64, bool) {
	pid, err := gateway.ParsePid(c.Param("pid"))
	if err != nil {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return 0, false
	}
	return pid, true
}

func appPath(pid int64) string { return "/admin/apps/" + strconv.FormatInt(pid, 10) }
