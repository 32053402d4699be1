package config

import (
	"fmt"
	"net/url"
	"strings"

	"wxcheckout/wxpay/wxpaysim"
)

// Devices are the settings of the ways to pay beyond the Native QR
// (SPEC §9).
type Devices struct {
	// MPAppSecret is the official account's AppSecret (WXPAY_MP_APPSECRET):
	// OAuth for JSAPI inside WeChat. Never log it.
	MPAppSecret string
	// MiniAppID and MiniAppSecret are the mini program's
	// (WXPAY_MINIPROGRAM_APPID / WXPAY_MINIPROGRAM_APPSECRET), defaulting to
	// WXPAY_APPID and WXPAY_MP_APPSECRET.
	MiniAppID     string
	MiniAppSecret string
	// H5 (WXPAY_H5=1) pays in mobile browsers outside WeChat with MWEB.
	H5 bool
	// OpenBase (WXPAY_OPEN_BASE) is where shoppers' browsers go for OAuth;
	// SNSBase (WXPAY_SNS_BASE) where the server exchanges codes. Empty in
	// simulator mode without WXPAY_API_BASE: the built-in simulator's.
	OpenBase string
	SNSBase  string
}

func (c *Config) loadDevices(env func(string, string) string) error {
	d := &c.Devices
	mpDefault := ""
	if c.Simulator {
		mpDefault = wxpaysim.DemoAppSecret // the simulator's official account
	}
	d.MPAppSecret = env("WXPAY_MP_APPSECRET", mpDefault)
	d.MiniAppID = env("WXPAY_MINIPROGRAM_APPID", c.AppID)
	d.MiniAppSecret = env("WXPAY_MINIPROGRAM_APPSECRET", d.MPAppSecret)
	h5 := "0"
	if c.Simulator {
		h5 = "1" // the simulator plays every device: a phone browser too
	}
	switch v := env("WXPAY_H5", h5); v {
	case "1":
		d.H5 = true
	case "0":
	default:
		return fmt.Errorf("WXPAY_H5: want 1 or 0, got %q", v)
	}
	for _, b := range []struct {
		to         *string
		name, def  string
		builtinSim bool
	}{
		{&d.OpenBase, "WXPAY_OPEN_BASE", "https://open.weixin.qq.com", true},
		{&d.SNSBase, "WXPAY_SNS_BASE", "https://api.weixin.qq.com", true},
	} {
		def := b.def
		if c.Simulator {
			def = "" // the simulator's: built in, or the one at WXPAY_API_BASE
			if c.APIBase != "" {
				def = c.APIBase
			}
		}
		v := env(b.name, def)
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
				return fmt.Errorf("%s: want an absolute http(s) URL without a query, got %q", b.name, v)
			}
			v = strings.TrimRight(v, "/")
		}
		*b.to = v
	}
	if len(d.MPAppSecret) > 64 || len(d.MiniAppSecret) > 64 {
		return fmt.Errorf("WXPAY_MP_APPSECRET / WXPAY_MINIPROGRAM_APPSECRET: an AppSecret is 32 characters")
	}
	return nil
}

// OtherAppIDs are the merchant's appids beside WXPAY_APPID that orders are
// placed for: the mini program's, when it has its own.
func (c *Config) OtherAppIDs() []string {
	if c.Devices.MiniAppID != "" && c.Devices.MiniAppID != c.AppID {
		return []string{c.Devices.MiniAppID}
	}
	return nil
}
