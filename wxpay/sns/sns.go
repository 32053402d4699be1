// Package sns calls WeChat's open-platform APIs that payments depend on but
// that are not WeChat Pay: an official account's web OAuth (snsapi_base,
// for the JSAPI payer's openid) and a mini program's jscode2session.
//
// The AppSecret travels in the query string of these GETs, so no error of
// this package carries a request URL (net/http's *url.Error would), and a
// reply echoing the secret has it blanked.
package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of Config.
const (
	DefaultOpenBase = "https://open.weixin.qq.com"
	DefaultAPIBase  = "https://api.weixin.qq.com"
)

// MaxBodySize caps what is read of a reply.
const MaxBodySize = 64 << 10

// Config says where WeChat's open platform is (the simulator plays it too:
// WXPAY_OPEN_BASE, WXPAY_SNS_BASE).
type Config struct {
	OpenBase   string // the OAuth consent page's host; default DefaultOpenBase
	APIBase    string // sns/oauth2/access_token, sns/jscode2session; default DefaultAPIBase
	HTTPClient *http.Client
}

// Client calls WeChat's open platform. It is safe for concurrent use.
type Client struct {
	openBase, apiBase string
	http              *http.Client
}

// New fills in cfg's defaults: the two bases, and an HTTP client with a
// 10 s timeout that does not follow redirects (WeChat answers these calls
// directly; a redirect is not its answer).
func New(cfg Config) *Client {
	c := &Client{openBase: cfg.OpenBase, apiBase: cfg.APIBase, http: cfg.HTTPClient}
	if c.openBase == "" {
		c.openBase = DefaultOpenBase
	}
	if c.apiBase == "" {
		c.apiBase = DefaultAPIBase
	}
	c.openBase, c.apiBase = strings.TrimRight(c.openBase, "/"), strings.TrimRight(c.apiBase, "/")
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

// AuthorizeURL is the official account's silent OAuth (scope snsapi_base):
// WeChat sends the shopper back to redirectURI with ?code=…&state=state.
// The parameters are in the order WeChat documents; it refuses others.
func (c *Client) AuthorizeURL(appID, redirectURI, state string) string {
	return c.openBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(appID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=snsapi_base&state=" +
		url.QueryEscape(state) + "#wechat_redirect"
}

// OAuthOpenID exchanges an OAuth code for the shopper's openid under appID
// (GET sns/oauth2/access_token). The access token is not kept: snsapi_base
// needs only the openid.
func (c *Client) OAuthOpenID(ctx context.Context, appID, secret, code string) (string, error) {
	const op = "oauth2/access_token"
	q := "appid=" + url.QueryEscape(appID) + "&secret=" + url.QueryEscape(secret) + "&code=" +
		url.QueryEscape(code) + "&grant_type=authorization_code"
	r, err := c.get(ctx, op, "/sns/oauth2/access_token", q, appID, secret, code)
	if err != nil {
		return "", err
	}
	return r.OpenID, nil
}

// Session is a mini program user's login. SessionKey decrypts the user's
// data and signs nothing we send: it never leaves the server, and String,
// GoString and JSON leave it out.
type Session struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid,omitempty"`
	SessionKey string `json:"-"`
}

func (s Session) String() string {
	return fmt.Sprintf("{OpenID:%s UnionID:%s SessionKey:<hidden>}", s.OpenID, s.UnionID)
}

// GoString keeps %#v from printing the session key.
func (s Session) GoString() string { return "sns.Session" + s.String() }

// Code2Session exchanges a mini program's wx.login code
// (GET sns/jscode2session).
func (c *Client) Code2Session(ctx context.Context, appID, secret, code string) (*Session, error) {
	const op = "jscode2session"
	q := "appid=" + url.QueryEscape(appID) + "&secret=" + url.QueryEscape(secret) + "&js_code=" +
		url.QueryEscape(code) + "&grant_type=authorization_code"
	r, err := c.get(ctx, op, "/sns/jscode2session", q, appID, secret, code)
	if err != nil {
		return nil, err
	}
	return &Session{OpenID: r.OpenID, UnionID: r.UnionID, SessionKey: r.SessionKey}, nil
}

// get sends one call and decodes its reply. The arguments are checked
// here; the secret is kept out of every error.
func (c *Client) get(ctx context.Context, op, path, query, appID, secret, code string) (*reply, error) {
	switch {
	case appID == "" || secret == "":
		return nil, fmt.Errorf("sns %s: %w: appid and secret are required", op, ErrInvalidArgument)
	case code == "" || len(code) > MaxCodeLen:
		return nil, fmt.Errorf("sns %s: %w", op, ErrBadCode)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.apiBase+path+"?"+query, nil)
	if err != nil {
		return nil, fmt.Errorf("sns %s: %w: bad API base", op, ErrInvalidArgument)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &TransportError{Op: op, Err: redact(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	switch {
	case err != nil:
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("read reply: %w", redact(err))}
	case len(body) > MaxBodySize:
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%w: reply over %d bytes", ErrMalformed, MaxBodySize)}
	case resp.StatusCode != http.StatusOK:
		// WeChat answers its refusals with 200 and an errcode.
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("unexpected HTTP status %d", resp.StatusCode)}
	}
	r, err := decodeReply(body)
	if err != nil {
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: err}
	}
	if r.ErrCode != 0 {
		return nil, &Error{Op: op, ErrCode: r.ErrCode, ErrMsg: clip(strings.ReplaceAll(r.ErrMsg, secret, "***"))}
	}
	if !validID(r.OpenID) {
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%w: reply without a valid openid", ErrMalformed)}
	}
	if r.UnionID != "" && !validID(r.UnionID) {
		return nil, &TransportError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%w: unionid is not valid", ErrMalformed)}
	}
	return r, nil
}

// redact keeps what went wrong with a request and drops its URL, which
// holds the secret: *url.Error prints it.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// validID accepts an openid or unionid as WeChat makes them: 1–128
// characters of [0-9A-Za-z_-].
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// clip bounds what a reply puts into an error, cutting at a rune boundary.
func clip(s string) string {
	const n = 256
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
