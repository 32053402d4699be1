package wxpayv3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"wxcheckout/wxpay"
)

// MaxBodySize caps what is read of a reply or accepted as a notification.
const MaxBodySize = 64 << 10

// UserAgent is sent with every request: WeChat refuses v3 calls without one.
const UserAgent = "wxcheckout/1 (wxpay v3; Go)"

// Config is a merchant and how to reach WeChat with API v3.
type Config struct {
	BaseURL string // as for v2 (WXPAY_API_BASE); /v3/… is appended. Default wxpay.DefaultBaseURL
	AppID   string
	MchID   string
	Signer  Signer // the merchant private key and its certificate serial
	// Verifier holds the WeChat Pay public key and/or platform
	// certificates that every reply and notification must verify with.
	Verifier   *Verifier
	APIv3Key   []byte // 32 bytes: decrypts notification resources
	NotifyURL  string // default notify_url of Native orders
	HTTPClient *http.Client
	Now        func() time.Time
	Rand       io.Reader // request nonces; default crypto/rand

	// OtherAppIDs are further appids bound to the merchant number that
	// orders may be placed for (JSAPIRequest.AppID and the like): a mini
	// program's. Replies and notifications naming them are the merchant's.
	OtherAppIDs []string

	// Observe, when set, is told of every call's API (op), result and
	// duration: SUCCESS, WeChat's error code, TRANSPORT (outcome unknown)
	// or ERROR (nothing sent); see CallResult. GET /metrics counts them.
	Observe func(op, result string, d time.Duration)
}

// Client calls WeChat Pay API v3. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// NewClient checks cfg and fills in defaults.
func NewClient(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.MchID == "" {
		return nil, errors.New("wxpayv3: AppID and MchID are required")
	}
	if err := checkSigner(&cfg); err != nil {
		return nil, err
	}
	if cfg.Verifier == nil || len(cfg.Verifier.Serials()) == 0 {
		return nil, errors.New("wxpayv3: a Verifier with a WeChat Pay public key or a platform certificate is required")
	}
	if len(cfg.APIv3Key) != KeyLen {
		return nil, fmt.Errorf("%w: the APIv3 key must be %d bytes, got %d", ErrBadKey, KeyLen, len(cfg.APIv3Key))
	}
	cfg.APIv3Key = bytes.Clone(cfg.APIv3Key)
	cfg.OtherAppIDs = slices.Clone(cfg.OtherAppIDs)
	if cfg.NotifyURL != "" {
		if err := wxpay.ValidNotifyURL(cfg.NotifyURL); err != nil {
			return nil, err
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = wxpay.DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wxpayv3: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		// WeChat never redirects; a 3xx is not its answer and is not followed.
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Client{cfg: cfg}, nil
}

func checkSigner(cfg *Config) error {
	s := &cfg.Signer
	switch {
	case s.Key == nil:
		return fmt.Errorf("%w: the merchant private key is required", ErrBadKey)
	case s.Key.N.BitLen() < 2048:
		return fmt.Errorf("%w: the merchant private key has %d bits, WeChat requires RSA 2048", ErrBadKey, s.Key.N.BitLen())
	case !isHex(s.Serial):
		return fmt.Errorf("%w: the merchant certificate serial %q is not hex", ErrBadKey, clip(s.Serial))
	case s.MchID == "":
		s.MchID = cfg.MchID
	case s.MchID != cfg.MchID:
		return fmt.Errorf("wxpayv3: Signer.MchID %q is not MchID %q", s.MchID, cfg.MchID)
	}
	return nil
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// AppID and MchID name the merchant this client speaks for.
func (c *Client) AppID() string { return c.cfg.AppID }
func (c *Client) MchID() string { return c.cfg.MchID }

// ownAppID reports whether appid is the merchant's: AppID or one of
// OtherAppIDs.
func (c *Client) ownAppID(appid string) bool {
	return appid != "" && (appid == c.cfg.AppID || slices.Contains(c.cfg.OtherAppIDs, appid))
}

// NotifyURL is the default notify_url of Native orders.
func (c *Client) NotifyURL() string { return c.cfg.NotifyURL }

// call signs and sends one request and returns the verified body of a 2xx
// reply. An answered 4xx is *Error; anything whose outcome is unknown —
// the network, 5xx, a reply that does not verify — is *TransportError.
func (c *Client) call(ctx context.Context, op, method, pathQuery string, body []byte) (reply []byte, x *wxpay.Exchange, err error) {
	if c.cfg.Observe != nil {
		start := time.Now()
		defer func() { c.cfg.Observe(op, CallResult(err), time.Since(start)) }()
	}
	return c.send(ctx, op, method, pathQuery, body)
}

// send is call without the observation.
func (c *Client) send(ctx context.Context, op, method, pathQuery string, body []byte) ([]byte, *wxpay.Exchange, error) {
	x := &wxpay.Exchange{Op: op, URL: c.cfg.BaseURL + pathQuery, Request: body}
	transport := func(status int, code string, err error) error {
		return &TransportError{Op: op, HTTPStatus: status, Code: code, Err: err, Exchange: x}
	}
	req, err := c.request(ctx, method, pathQuery, body)
	if err != nil {
		return nil, x, err // nothing was sent: not a transport error
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, x, transport(0, "", err)
	}
	defer resp.Body.Close()
	x.HTTPStatus = resp.StatusCode
	reply, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	x.Response = reply
	switch {
	case err != nil:
		return nil, x, transport(resp.StatusCode, "", fmt.Errorf("read reply: %w", err))
	case len(reply) > MaxBodySize:
		x.Response = reply[:MaxBodySize]
		return nil, x, transport(resp.StatusCode, "", fmt.Errorf("reply over %d bytes", MaxBodySize))
	case resp.StatusCode >= 500:
		// Unknown outcome whatever the body says; its code is kept for the log.
		code, msg := errorBody(reply)
		return nil, x, transport(resp.StatusCode, code, fmt.Errorf("HTTP %d %s %s", resp.StatusCode, code, clip(msg)))
	}
	// WeChat signs every answer, refusals included: one that does not verify
	// may come from anyone between us, so it decides nothing.
	if err := c.cfg.Verifier.Verify(resp.Header, reply, c.cfg.Now()); err != nil {
		return nil, x, transport(resp.StatusCode, "", fmt.Errorf("HTTP %d reply: %w", resp.StatusCode, err))
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return reply, x, nil
	case s >= 400:
		code, msg := errorBody(reply)
		if code == "" {
			return nil, x, transport(s, "", fmt.Errorf("%w: HTTP %d reply without a code", ErrMalformed, s))
		}
		return nil, x, &Error{Op: op, HTTPStatus: s, Code: code, Message: msg, Exchange: x}
	default:
		return nil, x, transport(s, "", fmt.Errorf("unexpected HTTP status %d", s))
	}
}

func (c *Client) request(ctx context.Context, method, pathQuery string, body []byte) (*http.Request, error) {
	var nonce [16]byte
	if _, err := io.ReadFull(c.cfg.Rand, nonce[:]); err != nil {
		return nil, fmt.Errorf("wxpayv3: random source: %w", err)
	}
	auth, err := c.cfg.Signer.Authorization(method, pathQuery, body, c.cfg.Now(), strings.ToUpper(hex.EncodeToString(nonce[:])))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+pathQuery, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: %w", err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// errorBody reads {"code","message"} of an error reply; "" when it is not one.
func errorBody(b []byte) (code, message string) {
	var e struct{ Code, Message string }
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	return clip(e.Code), e.Message
}

// encodeJSON writes v without escaping <, > and & (kept readable in the
// order's timeline; WeChat reads either).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
