package config

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsRunTheSimulator(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: ":8080", PublicURL: "http://localhost:8080", DatabasePath: "wxcheckout.db",
		AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID, APIKey: wxpaysim.DemoAPIKey,
		SignType: wxpay.SignHMACSHA256, OrderTTL: 15 * time.Minute, Simulator: true,
		MaxCheckoutsPerClient: 4, MaxStreamsPerClient: 32}
	if got := strings.Join(c.TrustedProxies, ","); got != "127.0.0.1,::1" {
		t.Errorf("TrustedProxies = %q, want loopback only", got)
	}
	c.TrustedProxies = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load() = %+v\nwant %+v", c, want)
	}
	if got := c.NotifyEndpoint(); got != "http://localhost:8080/wxpay/notify" {
		t.Errorf("notify URL = %s", got)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	real := map[string]string{"WXPAY_MCH_ID": "1230000109", "WXPAY_APPID": "wx1234567890abcdef",
		"WXPAY_API_KEY": strings.Repeat("k", 32), "PUBLIC_URL": "https://shop.example.com"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range real {
			m[a] = b
		}
		if v == "<unset>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ADDR": "8080"}, "ADDR"},
		{map[string]string{"PUBLIC_URL": "shop.example.com"}, "PUBLIC_URL"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"WXPAY_SIGN_TYPE": "SHA1"}, "WXPAY_SIGN_TYPE"},
		{map[string]string{"WXPAY_NOTIFY_URL": "https://shop.example.com/n?x=1"}, "WXPAY_NOTIFY_URL"},
		{map[string]string{"WXPAY_API_BASE": "not a url"}, "WXPAY_API_BASE"},
		{map[string]string{"ORDER_TTL": "forever"}, "ORDER_TTL"},
		{map[string]string{"ORDER_TTL": "30s"}, "ORDER_TTL"},
		{map[string]string{"ORDER_TTL": "3h"}, "ORDER_TTL"},
		{map[string]string{"MAX_CHECKOUTS_PER_CLIENT": "0"}, "MAX_CHECKOUTS_PER_CLIENT"},
		{map[string]string{"MAX_STREAMS_PER_CLIENT": "many"}, "MAX_STREAMS_PER_CLIENT"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, nginx"}, "TRUSTED_PROXIES"},
		{with("WXPAY_API_KEY", "<unset>"), "WXPAY_API_KEY"},
		{with("WXPAY_API_KEY", "short"), "WXPAY_API_KEY"},
		{with("WXPAY_APPID", "<unset>"), "WXPAY_APPID"},
		{with("PUBLIC_URL", "<unset>"), "PUBLIC_URL or WXPAY_NOTIFY_URL"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want an error naming %s", tt.env, err, tt.want)
		}
	}
	c, err := Load(env(real))
	if err != nil || c.Simulator || c.APIBase != wxpay.DefaultBaseURL || !c.SecureCookies() {
		t.Errorf("real mode = %+v, %v; want the real API host and secure cookies", c, err)
	}
}

func TestListenAddrFillsThePort(t *testing.T) {
	c, _ := Load(env(map[string]string{"ADDR": "127.0.0.1:0"}))
	c.SetListenAddr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43210})
	if got := c.NotifyEndpoint(); got != "http://localhost:43210/wxpay/notify" {
		t.Errorf("notify URL = %s", got)
	}
	c, _ = Load(env(map[string]string{"ADDR": "127.0.0.1:0", "PUBLIC_URL": "https://shop.example.com/"}))
	c.SetListenAddr(&net.TCPAddr{Port: 43210})
	if got := c.NotifyEndpoint(); got != "https://shop.example.com/wxpay/notify" {
		t.Errorf("notify URL with PUBLIC_URL = %s", got)
	}
}
