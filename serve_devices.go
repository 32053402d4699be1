package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"wxcheckout/checkout"
	"wxcheckout/handlers"
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
