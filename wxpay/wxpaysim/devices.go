package wxpaysim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"

	"wxcheckout/wxpay"
)

// The demo apps' AppSecret: the official account's and, unless configured,
// the mini program's. Public on purpose, like DemoAPIKey.
const DemoAppSecret = "0123456789abcdef0123456789abcdef" // 32 hex, like a real AppSecret

// Users and their openids. The simulator plays every WeChat user: an
// openid is "o" + a 12-character user part + a 15-character MAC of the
// appid and the user part, 28 characters like real ones. The simulator can
// thus tell, with no table, that an openid was issued under an appid (an
// openid is per app at WeChat: the same person has another under each
// app), and a forged or borrowed one is refused.
const (
	openIDUserLen = 12
	openIDMACLen  = 15
	openIDLen     = 1 + openIDUserLen + openIDMACLen
)

// simSecret is the key of the simulator's own MACs, derived from the API
// key so that a restarted simulator recognises the openids it issued.
func (s *Server) simSecret() []byte {
	m := hmac.New(sha256.New, []byte(s.opts.APIKey))
	m.Write([]byte("wxpaysim openid secret"))
	return m.Sum(nil)
}

func (s *Server) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.simSecret())
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// OpenID is the openid of the simulated user named user (any name, e.g.
// "alice") under appID: the same for the same pair, different per app.
func (s *Server) OpenID(appID, user string) string {
	userPart := s.mac("user", user)[:openIDUserLen]
	return "o" + userPart + s.mac("openid", appID, userPart)[:openIDMACLen]
}

// ownsOpenID reports whether openID was issued under appID.
func (s *Server) ownsOpenID(appID, openID string) bool {
	if len(openID) != openIDLen || openID[0] != 'o' {
		return false
	}
	userPart := openID[1 : 1+openIDUserLen]
	want := s.mac("openid", appID, userPart)[:openIDMACLen]
	return subtle.ConstantTimeCompare([]byte(openID[1+openIDUserLen:]), []byte(want)) == 1
}

// The users the simulator pays as when nobody says who: the shopper who
// scans a Native code, and the one in an H5 cashier.
const (
	scanUser = "scan-user"
	h5User   = "h5-user"
	appUser  = "app-user"
)

// appSecret is the AppSecret of one of the merchant's apps; false for an
// appid not bound to the merchant.
func (s *Server) appSecret(appID string) (string, bool) {
	switch appID {
	case s.opts.AppID:
		return s.opts.AppSecret, true
	case s.opts.MiniAppID:
		return s.opts.MiniAppSecret, true
	}
	return "", false
}

// merchantApp reports whether orders may be placed for appID: the official
// account's and the mini program's appids are both bound to the merchant.
func (s *Server) merchantApp(appID string) bool {
	_, ok := s.appSecret(appID)
	return ok
}

// sameSecret compares secrets in constant time.
func sameSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// tradeTypeOr is t, or NATIVE for orders saved before trade types.
func tradeTypeOr(t string) string {
	if t == "" {
		return wxpay.TradeNative
	}
	return t
}

// clientIP is the browser's address: Options.ClientIP's, or the
// connection's.
func (s *Server) clientIP(r *http.Request) net.IP {
	if s.opts.ClientIP != nil {
		return net.ParseIP(s.opts.ClientIP(r))
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(strings.Trim(host, "[]"))
}

// sameClient reports whether the request comes from ip, taking every
// loopback address as one (127.0.0.1 and ::1 are the same test machine).
func (s *Server) sameClient(r *http.Request, ip string) bool {
	got, want := s.clientIP(r), net.ParseIP(ip)
	if got == nil || want == nil {
		return false
	}
	return got.Equal(want) || (got.IsLoopback() && want.IsLoopback())
}

// absoluteHTTP reports whether u is an absolute http(s) URL with a host,
// the only kind a redirect may go to.
func absoluteHTTP(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.User == nil
}

// orderAppID is the app o was placed for.
func (s *Server) orderAppID(o *order) string {
	if a := o.fields["appid"]; a != "" {
		return a
	}
	return s.opts.AppID
}

// deviceRoutes are the paths of the devices (SPEC §9): WeChat's web OAuth
// and mini-program login, the H5 cashier, the WeixinJSBridge stand-in and
// the APP SDK.
func (s *Server) deviceRoutes() {
	s.mux.HandleFunc("GET /connect/oauth2/authorize", s.authorizePage)
	s.mux.HandleFunc("POST /connect/oauth2/authorize", s.authorizeSubmit)
	s.mux.HandleFunc("GET /sns/oauth2/access_token", s.accessToken)
	s.mux.HandleFunc("GET /sns/jscode2session", s.jscode2session)
	s.mux.HandleFunc("POST /control/jscode", s.controlJSCode)
	s.mux.HandleFunc("GET /checkmweb", s.cashierPage)
	s.mux.HandleFunc("POST /checkmweb", s.cashierSubmit)
	s.mux.HandleFunc("GET /jsbridge.js", s.jsbridgeScript)
	s.mux.HandleFunc("GET /jsapi/order", s.jsapiOrder)
	s.mux.HandleFunc("POST /jsapi/pay", s.jsapiPay)
	s.mux.HandleFunc("POST /app/pay", s.appPay)
}
