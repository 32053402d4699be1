package wxpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat Pay's v2 API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Config is a merchant and how to reach WeChat.
type Config struct {
	BaseURL    string // default DefaultBaseURL
	AppID      string
	MchID      string
	APIKey     string
	SignType   SignType     // default HMAC-SHA256
	HTTPClient *http.Client // default: 10 s timeout
	Now        func() time.Time
	Rand       io.Reader // nonce source; default crypto/rand

	// ClientCert is the merchant certificate (LoadClientCertificate) that
	// /secapi/ calls — refunds — present over mutual TLS. Without it Refund
	// fails at once. RootCAs verifies WeChat's server for those calls; nil
	// means the system roots (SSL_CERT_FILE and SSL_CERT_DIR apply).
	ClientCert *tls.Certificate
	RootCAs    *x509.CertPool

	// OtherAppIDs are further appids bound to the merchant number that
	// orders may be placed for (UnifiedOrderRequest.AppID): a mini
	// program's. Notifications and replies naming them are the merchant's.
	OtherAppIDs []string

	// Observe, when set, is told of every call's API (op), result and
	// duration: SUCCESS, WeChat's err_code, FAIL (return_code=FAIL) or
	// TRANSPORT (outcome unknown). GET /metrics counts them.
	Observe func(op, result string, d time.Duration)
}

// Client calls WeChat Pay v2. It is safe for concurrent use.
type Client struct {
	cfg Config
	sec *http.Client // for /secapi/: presents ClientCert; nil without one
}

// NewClient checks cfg and fills in defaults.
func NewClient(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.MchID == "" || cfg.APIKey == "" {
		return nil, errors.New("wxpay: AppID, MchID and APIKey are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.SignType == "" {
		cfg.SignType = SignHMACSHA256
	}
	if _, err := ParseSignType(string(cfg.SignType)); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	c := &Client{cfg: cfg}
	if cfg.ClientCert != nil {
		c.sec = secHTTPClient(cfg)
	}
	return c, nil
}

// secHTTPClient is a client of its own for /secapi/ calls, so the merchant
// certificate is presented only where WeChat asks for it. It keeps the
// configured client's timeout.
func secHTTPClient(cfg Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*cfg.ClientCert},
		RootCAs:      cfg.RootCAs,
	}
	timeout := cfg.HTTPClient.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{Transport: t, Timeout: timeout}
}

// AppID and MchID name the merchant this client speaks for.
func (c *Client) AppID() string { return c.cfg.AppID }
func (c *Client) MchID() string { return c.cfg.MchID }

// ParseNotification verifies a notification body and checks that it is
// addressed to this merchant.
func (c *Client) ParseNotification(body []byte) (*Notification, error) {
	n, err := ParseNotification(body, c.cfg.APIKey)
	if err != nil {
		return nil, err
	}
	if !c.ownAppID(n.AppID) || n.MchID != c.cfg.MchID {
		return nil, fmt.Errorf("%w: appid=%q mch_id=%q", ErrMerchantMismatch, n.AppID, n.MchID)
	}
	return n, nil
}

// ownAppID reports whether appid is the merchant's: AppID or one of
// OtherAppIDs.
func (c *Client) ownAppID(appid string) bool {
	return appid != "" && (appid == c.cfg.AppID || slices.Contains(c.cfg.OtherAppIDs, appid))
}

// call signs p, posts it and returns the verified reply. Every outcome other
// than return_code=SUCCESS and result_code=SUCCESS is an error: *Error when
// WeChat said no, *TransportError when the outcome is unknown.
func (c *Client) call(ctx context.Context, op, path string, p Params) (Params, *Exchange, error) {
	return c.callWith(ctx, c.cfg.HTTPClient, op, path, p)
}

// callWith is call over a given HTTP client: /secapi/ calls use the one
// presenting the merchant certificate.
func (c *Client) callWith(ctx context.Context, hc *http.Client, op, path string, p Params) (reply Params, x *Exchange, err error) {
	if c.cfg.Observe != nil {
		start := time.Now()
		defer func() { c.cfg.Observe(op, CallResult(err), time.Since(start)) }()
	}
	nonce, err := randomString(c.cfg.Rand, 32)
	if err != nil {
		return nil, nil, err
	}
	if p["appid"] == "" {
		p["appid"] = c.cfg.AppID
	}
	p["mch_id"], p["nonce_str"] = c.cfg.MchID, nonce
	p["sign_type"] = string(c.cfg.SignType)
	if p["sign"], err = Sign(p, c.cfg.APIKey, c.cfg.SignType); err != nil {
		return nil, nil, err
	}
	x = &Exchange{Op: op, URL: c.cfg.BaseURL + path, Request: Encode(p)}
	reply, err = c.post(ctx, hc, x)
	if err != nil {
		return nil, x, &TransportError{Op: op, Err: err, Exchange: x}
	}
	switch rc := reply["return_code"]; rc {
	case "SUCCESS":
	case "FAIL":
		return nil, x, &Error{Op: op, ReturnCode: rc, ReturnMsg: reply["return_msg"], Exchange: x}
	default:
		// Not WeChat's answer (a proxy page, a half-read reply): the outcome is unknown.
		return nil, x, &TransportError{Op: op, Err: fmt.Errorf("reply with return_code %q", rc), Exchange: x}
	}
	if err := Verify(reply, c.cfg.APIKey); err != nil {
		return nil, x, &TransportError{Op: op, Err: fmt.Errorf("reply: %w", err), Exchange: x}
	}
	if reply["appid"] != p["appid"] || reply["mch_id"] != c.cfg.MchID {
		return nil, x, &TransportError{Op: op, Err: fmt.Errorf("reply: %w", ErrMerchantMismatch), Exchange: x}
	}
	if reply["result_code"] != "SUCCESS" {
		return nil, x, &Error{Op: op, ReturnCode: "SUCCESS", ResultCode: reply["result_code"],
			ErrCode: reply["err_code"], ErrCodeDes: reply["err_code_des"], Exchange: x}
	}
	return reply, x, nil
}

func (c *Client) post(ctx context.Context, hc *http.Client, x *Exchange) (Params, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.URL, bytes.NewReader(x.Request))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	x.HTTPStatus = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	x.Response = body
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	p, err := Decode(body)
	if err != nil {
		return nil, fmt.Errorf("reply: %w", err)
	}
	return p, nil
}
