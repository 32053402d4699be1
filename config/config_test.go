package config

import (
	"log/slog"
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
	want := Config{Addr: "127.0.0.1:8080", PublicURL: "http://localhost:8080", DatabaseURL: "sqlite:wxcheckout.db",
		AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID, APIKey: wxpaysim.DemoAPIKey,
		SignType: wxpay.SignHMACSHA256, APIVersion: APIv2, OrderTTL: 15 * time.Minute, Simulator: true,
		Devices: Devices{MPAppSecret: wxpaysim.DemoAppSecret, MiniAppID: wxpaysim.DemoAppID,
			MiniAppSecret: wxpaysim.DemoAppSecret, H5: true}, DemoProducts: true,
		Limits: Limits{MaxCheckoutsPerClient: 4, MaxStreamsPerClient: 32, CheckoutRatePerClient: 20,
			MaxOpenOrdersPerClient: 10, MaxStreams: 10000, GatewayRatePerApp: 600, ClientIPHeader: "X-Forwarded-For", QueryRate: 500},
		Retention: Retention{RawBodyRetention: 720 * time.Hour}}
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
		{map[string]string{"TRUSTED_PROXIES": "none,10.0.0.1"}, "TRUSTED_PROXIES"},
		{map[string]string{"CHECKOUT_RATE_PER_CLIENT": "0"}, "CHECKOUT_RATE_PER_CLIENT"},
		{map[string]string{"MAX_OPEN_ORDERS_PER_CLIENT": "-1"}, "MAX_OPEN_ORDERS_PER_CLIENT"},
		{map[string]string{"MAX_STREAMS": "lots"}, "MAX_STREAMS"},
		{map[string]string{"CLIENT_IP_HEADER": "Forwarded"}, "CLIENT_IP_HEADER"},
		{map[string]string{"CLIENT_IP_HEADER": "X-Forwarded-For, X-Real-IP"}, "CLIENT_IP_HEADER"},
		{map[string]string{"SIMULATOR_PUBLIC": "yes"}, "SIMULATOR_PUBLIC"},
		{map[string]string{"ADMIN_PASSWORD": "short"}, "ADMIN_PASSWORD"},
		{map[string]string{"ADMIN_PASSWORD": "十一个字的密码不够长啊"}, "ADMIN_PASSWORD"}, // 11 characters, 33 bytes
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

func TestSimulatorListensOnLoopbackUnlessPublic(t *testing.T) {
	real := map[string]string{"WXPAY_MCH_ID": "1230000109", "WXPAY_APPID": "wx1234567890abcdef",
		"WXPAY_API_KEY": strings.Repeat("k", 32), "PUBLIC_URL": "https://shop.example.com"}
	tests := []struct {
		name    string
		env     map[string]string
		want    string // the address; "" for a start-up error
		wantURL string
	}{
		{"simulator default", nil, "127.0.0.1:8080", "http://localhost:8080"},
		{"simulator loopback v4", map[string]string{"ADDR": "127.0.0.1:9000"}, "127.0.0.1:9000", "http://localhost:9000"},
		{"simulator loopback v6", map[string]string{"ADDR": "[::1]:8080"}, "[::1]:8080", "http://localhost:8080"},
		{"simulator localhost", map[string]string{"ADDR": "localhost:8080"}, "localhost:8080", "http://localhost:8080"},
		{"simulator all interfaces", map[string]string{"ADDR": ":8080"}, "", ""},
		{"simulator 0.0.0.0", map[string]string{"ADDR": "0.0.0.0:8080"}, "", ""},
		{"simulator [::]", map[string]string{"ADDR": "[::]:8080"}, "", ""},
		{"simulator LAN address", map[string]string{"ADDR": "192.168.1.10:8080"}, "", ""},
		{"simulator host name", map[string]string{"ADDR": "shop.lan:8080"}, "", ""},
		{"simulator public on purpose", map[string]string{"ADDR": ":8080", "SIMULATOR_PUBLIC": "1"}, ":8080", "http://localhost:8080"},
		{"simulator public 0", map[string]string{"ADDR": "0.0.0.0:8080", "SIMULATOR_PUBLIC": "0"}, "", ""},
		{"real default", real, ":8080", "https://shop.example.com"},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), "ADDR") || !strings.Contains(err.Error(), "SIMULATOR_PUBLIC") ||
				!strings.Contains(err.Error(), "WXPAY_MCH_ID") {
				t.Errorf("%s: Load = %v, want an error naming ADDR, SIMULATOR_PUBLIC and WXPAY_MCH_ID", tt.name, err)
			}
			continue
		}
		if err != nil || c.Addr != tt.want || c.PublicURL != tt.wantURL {
			t.Errorf("%s: Addr %q, PublicURL %q, err %v; want %q, %q", tt.name, c.Addr, c.PublicURL, err, tt.want, tt.wantURL)
		}
	}
}

func TestClientAddressSettings(t *testing.T) {
	tests := []struct {
		env         map[string]string
		wantProxies []string
		wantHeader  string
	}{
		{nil, []string{"127.0.0.1", "::1"}, "X-Forwarded-For"},
		{map[string]string{"TRUSTED_PROXIES": "none"}, []string{}, "X-Forwarded-For"},
		{map[string]string{"TRUSTED_PROXIES": "NONE", "CLIENT_IP_HEADER": "x-real-ip"}, []string{}, "X-Real-IP"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8", "CLIENT_IP_HEADER": "X-Forwarded-For"}, []string{"10.0.0.0/8"}, "X-Forwarded-For"},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Errorf("Load(%v): %v", tt.env, err)
			continue
		}
		if !reflect.DeepEqual(c.TrustedProxies, tt.wantProxies) || c.ClientIPHeader != tt.wantHeader {
			t.Errorf("Load(%v): proxies %#v, header %q; want %#v, %q", tt.env, c.TrustedProxies, c.ClientIPHeader,
				tt.wantProxies, tt.wantHeader)
		}
	}
}

func TestAdminPasswordOfTwelveCharactersIsEnough(t *testing.T) {
	for _, pw := range []string{"", "twelve-chars", "十二个字的密码已经够长啊"} {
		if c, err := Load(env(map[string]string{"ADMIN_PASSWORD": pw})); err != nil || c.AdminPassword != pw {
			t.Errorf("ADMIN_PASSWORD %q: %v", pw, err)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		display string // what a log line may show
	}{
		{"sqlite:shop.db", true, "sqlite:shop.db"},
		{"postgres://wx:s3cret@db.internal:5432/shop?sslmode=disable", true, "postgres://wx:xxxxx@db.internal:5432/shop?sslmode=disable"},
		{"postgresql://wx@db/shop", true, "postgresql://wx@db/shop"},
		{"postgres:///shop?host=/run/postgresql&password=s3cret", true, "postgres:///shop?host=%2Frun%2Fpostgresql&password=xxxxx"},
		{"postgres://", false, ""},
		{"sqlite:", false, ""},
		{"mysql://wx:s3cret@db/shop", false, ""},
	}
	for _, tt := range tests {
		c, err := Load(func(k string) string { return map[string]string{"DATABASE_URL": tt.in}[k] })
		if (err == nil) != tt.ok {
			t.Errorf("DATABASE_URL=%s: err = %v, want ok %v", tt.in, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("DATABASE_URL error shows the password: %v", err)
		}
		if tt.ok && (c.DatabaseURL != tt.in || RedactDatabaseURL(c.DatabaseURL) != tt.display) {
			t.Errorf("DATABASE_URL=%s: kept %q shown %q, want shown %q", tt.in, c.DatabaseURL, RedactDatabaseURL(c.DatabaseURL), tt.display)
		}
	}
}

func TestGatewayApp(t *testing.T) {
	const key = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f"
	c, err := Load(env(map[string]string{"GATEWAY_PID": "1000", "GATEWAY_KEY": key}))
	if err != nil || c.GatewayPid != 1000 || c.GatewayKey != key {
		t.Fatalf("Load = pid %d, key set %v, %v; want 1000 and the key", c.GatewayPid, c.GatewayKey == key, err)
	}
	if c, err := Load(env(nil)); err != nil || c.GatewayPid != 0 || c.GatewayKey != "" {
		t.Errorf("unset: pid %d, %v", c.GatewayPid, err)
	}
	// Keys that are wrong but long: an error must not repeat them.
	badKey := "Zq" + key[2:31] + "-"
	longKey := key + "Q"
	tests := []struct {
		pid, key, want string
	}{
		{"1000", "", "GATEWAY_KEY"},
		{"", key, "GATEWAY_PID"},
		{"999", key, "GATEWAY_PID"},
		{"01000", key, "GATEWAY_PID"},
		{"abc", key, "GATEWAY_PID"},
		{"-1000", key, "GATEWAY_PID"},
		{"1000", "short", "GATEWAY_KEY"},
		{"1000", badKey, "GATEWAY_KEY"},
		{"1000", longKey, "GATEWAY_KEY"},
		{"1000", key[:31] + "字", "GATEWAY_KEY"},
	}
	for _, tt := range tests {
		_, err := Load(env(map[string]string{"GATEWAY_PID": tt.pid, "GATEWAY_KEY": tt.key}))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("GATEWAY_PID=%q and a key of %d bytes: %v, want an error naming %s", tt.pid, len(tt.key), err, tt.want)
			continue
		}
		if tt.key != "" && len(tt.key) > 8 && strings.Contains(err.Error(), tt.key[:8]) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestGatewaySettings(t *testing.T) {
	c, err := Load(env(map[string]string{"GATEWAY_ALLOW_PRIVATE_NOTIFY": "1", "GATEWAY_RATE_PER_APP": "60"}))
	if err != nil || !c.GatewayAllowPrivateNotify || c.Limits.GatewayRatePerApp != 60 {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{{"GATEWAY_ALLOW_PRIVATE_NOTIFY": "yes"}, {"GATEWAY_RATE_PER_APP": "0"}, {"GATEWAY_RATE_PER_APP": "x"}} {
		if _, err := Load(env(bad)); err == nil {
			t.Errorf("Load(%v) accepted", bad)
		}
	}
}

func TestDemoProductsOnlyInSimulatorMode(t *testing.T) {
	real := map[string]string{"WXPAY_MCH_ID": "1230000109", "WXPAY_APPID": "wx0123456789abcdef",
		"WXPAY_API_KEY": "0123456789abcdef0123456789abcdef", "PUBLIC_URL": "https://shop.example.com"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
		bad  bool
	}{
		{"simulator", map[string]string{}, true, false},
		{"simulator, off", map[string]string{"DEMO_PRODUCTS": "0"}, false, false},
		{"real", real, false, false},
		{"real, on", merge(real, map[string]string{"DEMO_PRODUCTS": "1"}), true, false},
		{"bad", map[string]string{"DEMO_PRODUCTS": "yes"}, false, true},
	} {
		c, err := Load(func(k string) string { return tc.env[k] })
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "DEMO_PRODUCTS") {
				t.Errorf("%s: err = %v, want one naming DEMO_PRODUCTS", tc.name, err)
			}
			continue
		}
		if err != nil || c.DemoProducts != tc.want {
			t.Errorf("%s: DemoProducts = %v (%v), want %v", tc.name, c.DemoProducts, err, tc.want)
		}
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestQueryRate(t *testing.T) {
	c, err := Load(env(map[string]string{"WXPAY_QUERY_RATE": "2000"}))
	if err != nil || c.QueryRate != 2000 {
		t.Fatalf("Load = %d, %v; want 2000", c.QueryRate, err)
	}
	for _, bad := range []string{"0", "-5", "fast", "1.5"} {
		_, err := Load(env(map[string]string{"WXPAY_QUERY_RATE": bad}))
		if err == nil || !strings.Contains(err.Error(), "WXPAY_QUERY_RATE") {
			t.Errorf("WXPAY_QUERY_RATE=%s: %v, want an error naming the variable", bad, err)
		}
	}
}

func TestLoadLog(t *testing.T) {
	for _, c := range []struct {
		format, level string
		json          bool
		want          slog.Level
		bad           string // the variable the error must name
	}{
		{"", "", false, slog.LevelInfo, ""},
		{"text", "debug", false, slog.LevelDebug, ""},
		{"JSON", "warn", true, slog.LevelWarn, ""},
		{"json", "error", true, slog.LevelError, ""},
		{"logfmt", "", false, 0, "LOG_FORMAT"},
		{"", "verbose", false, 0, "LOG_LEVEL"},
	} {
		l, err := LoadLog(func(k string) string {
			return map[string]string{"LOG_FORMAT": c.format, "LOG_LEVEL": c.level}[k]
		})
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("%q/%q: %v, want an error naming %s", c.format, c.level, err, c.bad)
			}
			continue
		}
		if err != nil || l.JSON != c.json || l.Level != c.want {
			t.Errorf("%q/%q = %+v, %v", c.format, c.level, l, err)
		}
	}
	if _, err := Load(func(k string) string {
		return map[string]string{"LOG_LEVEL": "loud"}[k]
	}); err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Errorf("Load with a bad LOG_LEVEL: %v", err)
	}
}
