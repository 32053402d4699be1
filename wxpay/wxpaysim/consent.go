package wxpaysim

import (
	"net/http"
	"net/url"
)

// defaultUser is the simulated user the consent page suggests.
const defaultUser = "alice"

// authorizeRequest is the query of /connect/oauth2/authorize (and the
// consent form's fields).
type authorizeRequest struct {
	appID, redirectURI, responseType, scope, state string
}

func readAuthorize(get func(string) string) authorizeRequest {
	return authorizeRequest{
		appID: get("appid"), redirectURI: get("redirect_uri"), responseType: get("response_type"),
		scope: get("scope"), state: get("state"),
	}
}

// check refuses what WeChat refuses before showing anything: an unknown
// appid, a redirect_uri that is not an absolute http(s) URL, a scope or
// response_type it does not know. Each answer is a page, never a redirect.
func (s *Server) check(a authorizeRequest) (zh, en string) {
	switch {
	case a.appID != s.opts.AppID:
		return "参数错误", "invalid appid: not this merchant's official account"
	case !absoluteHTTP(a.redirectURI):
		return "redirect_uri 参数错误", "redirect_uri must be an absolute http(s) URL"
	case a.responseType != "code":
		return "参数错误", "response_type must be code"
	case a.scope != "snsapi_base" && a.scope != "snsapi_userinfo":
		return "scope 参数错误或没有 scope 权限", "scope must be snsapi_base or snsapi_userinfo"
	}
	return "", ""
}

// authorizePage is GET /connect/oauth2/authorize: the consent page.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	a := readAuthorize(r.URL.Query().Get)
	if zh, en := s.check(a); zh != "" {
		s.renderPage(w, http.StatusBadRequest, "notice", refusalPage("参数错误", zh, en))
		return
	}
	s.renderPage(w, http.StatusOK, "consent", pageView{
		Title: "授权 Authorize", Header: "微信授权", HeaderEN: "WeChat authorisation",
		Action: s.opts.BasePath + "/connect/oauth2/authorize", Merchant: s.opts.MerchantName,
		AppID: a.appID, RedirectURI: a.redirectURI, Scope: a.scope, State: a.state, User: defaultUser,
	})
}

// authorizeSubmit is the user pressing 允许 or 拒绝. Allowing sends the
// browser back to redirect_uri with a fresh code and the state as sent.
func (s *Server) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	a := readAuthorize(r.PostFormValue)
	if zh, en := s.check(a); zh != "" {
		s.renderPage(w, http.StatusBadRequest, "notice", refusalPage("参数错误", zh, en))
		return
	}
	if r.PostFormValue("action") != "allow" {
		v := refusalPage("已拒绝", "你已拒绝授权", "You refused: no code was given to the merchant")
		v.Done, v.Result = true, "denied"
		s.renderPage(w, http.StatusOK, "notice", v)
		return
	}
	user := r.PostFormValue("user")
	if user == "" {
		user = defaultUser
	}
	code := s.issue(oauthCode, a.appID, user)
	u, _ := url.Parse(a.redirectURI) // checked
	extra := "code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(a.state)
	if u.RawQuery != "" {
		u.RawQuery += "&" + extra
	} else {
		u.RawQuery = extra
	}
	s.log.Info("wxpaysim oauth: code issued", "appid", a.appID, "scope", a.scope)
	http.Redirect(w, r, u.String(), http.StatusFound)
}
