package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
	"wxcheckout/wxpay/sns"
)

// pageSecretSetting keeps the key of the payment page's MACs (the OAuth
// state, the openid cookie): in the database, so that every instance and
// every restart agree.
const pageSecretSetting = "page_secret"

func (a *app) pageSecret(ctx context.Context) ([]byte, error) {
	v, err := a.store.Setting(ctx, pageSecretSetting)
	if err != nil {
		var b [32]byte
		rand.Read(b[:])
		if _, cerr := a.store.CreateSetting(ctx, pageSecretSetting, hex.EncodeToString(b[:])); cerr != nil {
			return nil, fmt.Errorf("page secret: %w", cerr)
		}
		if v, err = a.store.Setting(ctx, pageSecretSetting); err != nil {
			return nil, fmt.Errorf("page secret: %w", err)
		}
	}
	return hex.DecodeString(v)
}

// devicesOptions are the web side's settings of paying on phones.
func (a *app) devicesOptions(opts *handlers.Options) error {
	secret, err := a.pageSecret(context.Background())
	if err != nil {
		return err
	}
	opts.Devices, opts.PublicURL, opts.PageSecret = a.svc, a.cfg.PublicURL, secret
	switch {
	case a.sim != nil:
		opts.JSBridgeURL = "/sim/jsbridge.js"
	case a.cfg.Simulator:
		// A standalone simulator: its cashier and stand-in are at its base.
		opts.JSBridgeURL = a.cfg.APIBase + "/jsbridge.js"
		if u, err := url.Parse(a.cfg.APIBase); err == nil {
			opts.FormTargets = []string{u.Scheme + "://" + u.Host}
		}
	default:
		opts.FormTargets = []string{"https://wx.tenpay.com"} // WeChat's H5 cashier
	}
	return nil
}

// checkoutDevices are the checkout's settings of paying on phones.
func (a *app) checkoutDevices() checkout.Devices {
	d := a.cfg.Devices
	return checkout.Devices{AppID: a.cfg.AppID, MPSecret: d.MPAppSecret, MiniAppID: d.MiniAppID,
		MiniSecret: d.MiniAppSecret, H5: d.H5, SiteName: "wxcheckout"}
}

// snsLogin is WeChat's login APIs (wxpay/sns) as the checkout needs them:
// a code WeChat refuses wraps checkout.ErrInvalidCode.
type snsLogin struct{ c *sns.Client }

func (s snsLogin) AuthorizeURL(appID, redirectURI, state string) string {
	return s.c.AuthorizeURL(appID, redirectURI, state)
}

func (s snsLogin) OAuthOpenID(ctx context.Context, appID, secret, code string) (string, error) {
	openid, err := s.c.OAuthOpenID(ctx, appID, secret, code)
	return openid, invalidCode(err)
}

func (s snsLogin) MiniOpenID(ctx context.Context, appID, secret, code string) (string, error) {
	sess, err := s.c.Code2Session(ctx, appID, secret, code)
	if err != nil {
		return "", invalidCode(err)
	}
	return sess.OpenID, nil // the session_key stays here, unkept
}

func invalidCode(err error) error {
	if err != nil && sns.IsInvalidCode(err) {
		return fmt.Errorf("%w: %w", checkout.ErrInvalidCode, err)
	}
	return err
}

// snsClient points WeChat's login at WXPAY_OPEN_BASE / WXPAY_SNS_BASE, or
// at the built-in simulator: the shopper's browser reaches it at the public
// URL, the server over loopback.
func (a *app) snsClient() checkout.SNS {
	d := a.cfg.Devices
	open, api := d.OpenBase, d.SNSBase
	if a.sim != nil {
		open, api = strings.TrimRight(a.cfg.PublicURL, "/")+"/sim", loopbackURL(a.ln.Addr())+"/sim"
	}
	return snsLogin{sns.New(sns.Config{OpenBase: open, APIBase: api, HTTPClient: &http.Client{Timeout: 10 * time.Second}})}
}
