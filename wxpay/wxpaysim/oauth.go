package wxpaysim

import (
	"net/http"
	"sync"
	"time"
)

// Authorisation codes: the official account's web OAuth code and the mini
// program's js_code. Each is good once, for five minutes, at the appid that
// issued it, as at WeChat.
const (
	codeLifetime = 5 * time.Minute
	// maxCodes bounds the codes kept: an unattended simulator must not
	// grow with every consent page pressed.
	maxCodes = 10_000
)

type codeKind int

const (
	oauthCode codeKind = iota + 1 // from the consent page, for sns/oauth2/access_token
	jsCode                        // from wx.login in a mini program, for sns/jscode2session
)

type authCode struct {
	code    string
	kind    codeKind
	appID   string
	user    string
	expires time.Time
	used    bool
}

// codeStore keeps the codes, oldest first. Every code has the same
// lifetime, so the oldest is also the first to expire.
type codeStore struct {
	mu    sync.Mutex
	byKey map[string]*authCode
	queue []*authCode
}

func newCodeStore() *codeStore { return &codeStore{byKey: map[string]*authCode{}} }

// add keeps c, dropping expired codes and, when still full, the oldest.
func (cs *codeStore) add(c *authCode, now time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	drop := 0
	for drop < len(cs.queue) && (!now.Before(cs.queue[drop].expires) || len(cs.queue)-drop >= maxCodes) {
		delete(cs.byKey, cs.queue[drop].code)
		drop++
	}
	cs.queue = append(cs.queue[drop:], c)
	cs.byKey[c.code] = c
}

// codeError is WeChat's JSON error of the sns endpoints.
type codeError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

var (
	errInvalidAppID     = codeError{40013, "invalid appid"}
	errInvalidSecret    = codeError{40125, "invalid appsecret"}
	errInvalidCode      = codeError{40029, "invalid code"}
	errCodeUsed         = codeError{40163, "code been used"}
	errInvalidGrantType = codeError{40002, "invalid grant_type"}
	errMissingCode      = codeError{41008, "missing code"}
)

// redeem spends a code of kind for appID; the user it was issued to.
func (cs *codeStore) redeem(code string, kind codeKind, appID string, now time.Time) (string, *codeError) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byKey[code]
	switch {
	case c == nil || c.kind != kind || c.appID != appID || !now.Before(c.expires):
		return "", &errInvalidCode
	case c.used:
		return "", &errCodeUsed
	}
	c.used = true // kept until it expires, so that a reuse is told apart from a forgery
	return c.user, nil
}

// issue makes a code of kind for user under appID.
func (s *Server) issue(kind codeKind, appID, user string) string {
	now := s.now()
	c := &authCode{code: randomAlnum(32), kind: kind, appID: appID, user: user, expires: now.Add(codeLifetime)}
	s.codes.add(c, now)
	return c.code
}

// NewJSCode returns a js_code for user in the mini program appID, as
// wx.login gives one, for sns/jscode2session.
func (s *Server) NewJSCode(appID, user string) string { return s.issue(jsCode, appID, user) }

// checkApp answers the appid and secret checks of the sns endpoints.
func (s *Server) checkApp(appID, secret, grantType, code string) *codeError {
	want, ok := s.appSecret(appID)
	switch {
	case !ok:
		return &errInvalidAppID
	case !sameSecret(secret, want):
		return &errInvalidSecret
	case grantType != "authorization_code":
		return &errInvalidGrantType
	case code == "":
		return &errMissingCode
	}
	return nil
}

// accessToken is GET /sns/oauth2/access_token: an OAuth code for the
// user's openid under the official account.
func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, code := q.Get("appid"), q.Get("code")
	if e := s.checkApp(appID, q.Get("secret"), q.Get("grant_type"), code); e != nil {
		s.snsError(w, "access_token", *e)
		return
	}
	user, e := s.codes.redeem(code, oauthCode, appID, s.now())
	if e != nil {
		s.snsError(w, "access_token", *e)
		return
	}
	s.log.Info("wxpaysim sns", "op", "access_token", "appid", appID, "result", "ok")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomAlnum(32) + randomAlnum(32), "expires_in": 7200,
		"refresh_token": randomAlnum(32) + randomAlnum(32), "openid": s.OpenID(appID, user),
		"scope": "snsapi_base",
	})
}

// jscode2session is GET /sns/jscode2session: a mini program's js_code for
// the user's openid and session_key.
func (s *Server) jscode2session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, code := q.Get("appid"), q.Get("js_code")
	if e := s.checkApp(appID, q.Get("secret"), q.Get("grant_type"), code); e != nil {
		s.snsError(w, "jscode2session", *e)
		return
	}
	user, e := s.codes.redeem(code, jsCode, appID, s.now())
	if e != nil {
		s.snsError(w, "jscode2session", *e)
		return
	}
	s.log.Info("wxpaysim sns", "op", "jscode2session", "appid", appID, "result", "ok")
	writeJSON(w, http.StatusOK, map[string]string{
		"openid": s.OpenID(appID, user), "session_key": randomAlnum(24),
	})
}

// snsError answers as WeChat does: HTTP 200 with errcode and errmsg.
func (s *Server) snsError(w http.ResponseWriter, op string, e codeError) {
	s.log.Info("wxpaysim sns", "op", op, "errcode", e.ErrCode, "errmsg", e.ErrMsg)
	writeJSON(w, http.StatusOK, e)
}

// controlJSCode is POST /control/jscode {"appid","user"} → {"code"}: what
// wx.login gives a mini program, for tests that play one. appid defaults
// to the mini program's, user to "alice".
func (s *Server) controlJSCode(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID string `json:"appid"`
		User  string `json:"user"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	if req.AppID == "" {
		req.AppID = s.opts.MiniAppID
	}
	if req.User == "" {
		req.User = defaultUser
	}
	if !s.merchantApp(req.AppID) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown appid " + req.AppID})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": s.NewJSCode(req.AppID, req.User)})
}
