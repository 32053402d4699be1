package main

import (
	"context"

	"wxcheckout/auth"
)

// adminAuth sets up the admin password: ADMIN_PASSWORD, or the one
// generated on the first start. A generated password is printed on that
// start only; the database keeps nothing but its bcrypt hash.
func (a *app) adminAuth() (*auth.Manager, error) {
	m, st, err := auth.New(context.Background(), auth.Options{Store: a.store, Password: a.cfg.AdminPassword,
		Log: a.log.With("component", "auth")})
	if err != nil {
		return nil, err
	}
	login := a.cfg.PublicURL + "/admin/login"
	switch {
	case st.Generated != "":
		a.log.Warn("admin password generated; it is shown only this once: note it now, or set ADMIN_PASSWORD",
			"login", login, "password", st.Generated)
	case st.FromEnv:
		a.log.Info("admin password from ADMIN_PASSWORD", "login", login)
	default:
		a.log.Info("admin password: the one generated on first start is in use; set ADMIN_PASSWORD to choose one",
			"login", login)
	}
	return m, nil
}
