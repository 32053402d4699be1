// Package config reads the app's settings from the environment (SPEC §4) and
// validates them. A bad value stops start-up with a message naming the variable.
package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// Config is every setting, as a value.
type Config struct {
	Addr          string
	PublicURL     string
	publicURLSet  bool
	DatabasePath  string
	AppID         string
	MchID         string
	APIKey        string
	APIBase       string // WeChat Pay v2 base URL; "" in simulator mode means the built-in one
	SignType      wxpay.SignType
	NotifyURL     string
	AdminPassword string
	OrderTTL      time.Duration
	Simulator     bool // no WXPAY_MCH_ID: the built-in simulator plays WeChat
	// Per client IP: checkouts in flight and open payment-page streams.
	// Load tests from one address raise them.
	MaxCheckoutsPerClient int
	MaxStreamsPerClient   int
	// TrustedProxies may name the client in X-Forwarded-For; the per-client
	// limits and the admin login limit count that address.
	TrustedProxies []string
}

// Load reads the environment through getenv.
func Load(getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Addr:          env("ADDR", ":8080"),
		AppID:         env("WXPAY_APPID", ""),
		MchID:         env("WXPAY_MCH_ID", ""),
		APIKey:        getenv("WXPAY_API_KEY"),
		APIBase:       env("WXPAY_API_BASE", ""),
		NotifyURL:     env("WXPAY_NOTIFY_URL", ""),
		AdminPassword: getenv("ADMIN_PASSWORD"),
	}
	c.Simulator = c.MchID == ""
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return c, fmt.Errorf("ADDR %q: want HOST:PORT such as :8080", c.Addr)
	}
	if err := c.loadURLs(env); err != nil {
		return c, err
	}
	var err error
	if c.DatabasePath, err = parseDatabaseURL(env("DATABASE_URL", "sqlite:wxcheckout.db")); err != nil {
		return c, err
	}
	if c.SignType, err = wxpay.ParseSignType(env("WXPAY_SIGN_TYPE", string(wxpay.SignHMACSHA256))); err != nil {
		return c, fmt.Errorf("WXPAY_SIGN_TYPE: want MD5 or HMAC-SHA256, got %q", getenv("WXPAY_SIGN_TYPE"))
	}
	if c.OrderTTL, err = time.ParseDuration(env("ORDER_TTL", "15m")); err != nil || c.OrderTTL < 2*time.Minute || c.OrderTTL > 2*time.Hour {
		// WeChat wants time_expire at least a minute ahead, and a code_url lives two hours.
		return c, fmt.Errorf("ORDER_TTL %q: want a duration between 2m and 2h, such as 15m", getenv("ORDER_TTL"))
	}
	if c.MaxCheckoutsPerClient, err = positiveInt(env, "MAX_CHECKOUTS_PER_CLIENT", 4); err != nil {
		return c, err
	}
	if c.MaxStreamsPerClient, err = positiveInt(env, "MAX_STREAMS_PER_CLIENT", 32); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = parseProxies(env("TRUSTED_PROXIES", "127.0.0.1,::1")); err != nil {
		return c, err
	}
	return c, c.loadMerchant()
}

// parseProxies reads a comma-separated list of IP addresses and CIDR ranges.
func parseProxies(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR range", p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func positiveInt(env func(string, string) string, name string, def int) (int, error) {
	v := env(name, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("%s %q: want a whole number from 1 to 1000000", name, v)
	}
	return n, nil
}

func (c *Config) loadURLs(env func(string, string) string) error {
	_, port, _ := net.SplitHostPort(c.Addr)
	c.PublicURL = strings.TrimRight(env("PUBLIC_URL", "http://localhost:"+port), "/")
	c.publicURLSet = env("PUBLIC_URL", "") != ""
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("PUBLIC_URL %q: want an absolute http(s) URL", c.PublicURL)
	}
	if c.NotifyURL != "" {
		if err := wxpay.ValidNotifyURL(c.NotifyURL); err != nil {
			return fmt.Errorf("WXPAY_NOTIFY_URL: %w", err)
		}
	}
	if c.APIBase != "" {
		if u, err := url.Parse(c.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("WXPAY_API_BASE %q: want an absolute http(s) URL", c.APIBase)
		}
	}
	return nil
}

func (c *Config) loadMerchant() error {
	if c.Simulator {
		// The simulator's demo merchant, unless pointed at a standalone
		// simulator started with other credentials.
		c.MchID = wxpaysim.DemoMchID
		if c.AppID == "" {
			c.AppID = wxpaysim.DemoAppID
		}
		if c.APIKey == "" {
			c.APIKey = wxpaysim.DemoAPIKey
		}
		return nil
	}
	switch {
	case c.AppID == "":
		return fmt.Errorf("WXPAY_APPID is required when WXPAY_MCH_ID is set")
	case c.APIKey == "":
		return fmt.Errorf("WXPAY_API_KEY is required when WXPAY_MCH_ID is set")
	case len(c.APIKey) != 32:
		return fmt.Errorf("WXPAY_API_KEY: a WeChat Pay APIv2 key is 32 characters")
	case c.NotifyURL == "" && !c.publicURLSet:
		return fmt.Errorf("PUBLIC_URL or WXPAY_NOTIFY_URL is required when WXPAY_MCH_ID is set: WeChat must reach the notify URL")
	}
	if c.APIBase == "" {
		c.APIBase = wxpay.DefaultBaseURL
	}
	return nil
}

// SetListenAddr fills in the public URL's port once the server listens, so
// that ADDR=:0 (tests) still builds a reachable notify URL.
func (c *Config) SetListenAddr(a net.Addr) {
	if c.publicURLSet {
		return
	}
	if tcp, ok := a.(*net.TCPAddr); ok {
		c.PublicURL = fmt.Sprintf("http://localhost:%d", tcp.Port)
	}
}

// NotifyEndpoint is the notify_url sent with every unifiedorder.
func (c *Config) NotifyEndpoint() string {
	if c.NotifyURL != "" {
		return c.NotifyURL
	}
	return c.PublicURL + "/wxpay/notify"
}

// SecureCookies: cookies carry Secure when the site is served over https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

func parseDatabaseURL(s string) (string, error) {
	path, ok := strings.CutPrefix(s, "sqlite:")
	if !ok || path == "" {
		return "", fmt.Errorf("DATABASE_URL %q: want sqlite:PATH (PostgreSQL is not supported yet)", s)
	}
	return path, nil
}
