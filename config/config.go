// Package config reads the app's settings from the environment (SPEC §4) and
// validates them. A bad value stops start-up with a message naming the variable.
package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"wxcheckout/gateway"
	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// Config is every setting, as a value.
type Config struct {
	Addr         string
	PublicURL    string
	publicURLSet bool
	DatabaseURL  string // sqlite:PATH or postgres://…; log only Redacted()
	AppID        string
	MchID        string
	APIKey       string
	APIBase      string         // WeChat Pay v2 base URL; "" in simulator mode means the built-in one
	SignType     wxpay.SignType // v2 only
	NotifyURL    string
	// APIVersion is WXPAY_API_VERSION: APIv2 (default) or APIv3.
	APIVersion string
	// V3 holds the v3 credentials (SPEC §7) in v3 real mode, and in v3
	// simulator mode against a standalone simulator (WXPAY_API_BASE); nil
	// otherwise: the built-in simulator makes its own keys.
	V3            *V3
	AdminPassword string
	OrderTTL      time.Duration
	Simulator     bool // no WXPAY_MCH_ID: the built-in simulator plays WeChat
	// SimulatorPublic lets simulator mode listen beyond loopback.
	SimulatorPublic bool
	// GatewayPid and GatewayKey (GATEWAY_PID, GATEWAY_KEY) name a merchant
	// app that must exist after start-up; 0 and "" when unset. Never log
	// the key.
	GatewayPid int64
	GatewayKey string
	// GatewayAllowPrivateNotify (GATEWAY_ALLOW_PRIVATE_NOTIFY=1) lets a
	// merchant's notify_url point to loopback, link-local and private
	// addresses: for tests and LAN set-ups.
	GatewayAllowPrivateNotify bool
	// ClientCert is API v2's merchant certificate for refunds
	// (WXPAY_CERT_P12_FILE, or WXPAY_CERT_FILE and WXPAY_KEY_FILE); nil
	// when not set.
	ClientCert *ClientCert
	// Devices are JSAPI, H5 and the mini program's settings (SPEC §9).
	Devices Devices
	// DemoProducts (DEMO_PRODUCTS) seeds the demo catalog into a shop
	// with no products.
	DemoProducts bool
	// MetricsToken (METRICS_TOKEN) lets a scraper read GET /metrics from
	// anywhere with Authorization: Bearer; "" means loopback only.
	MetricsToken string

	// Log is LOG_FORMAT and LOG_LEVEL.
	Log Log
	Limits
	Retention
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
		AppID:         env("WXPAY_APPID", ""),
		MchID:         env("WXPAY_MCH_ID", ""),
		APIKey:        getenv("WXPAY_API_KEY"),
		APIBase:       env("WXPAY_API_BASE", ""),
		NotifyURL:     env("WXPAY_NOTIFY_URL", ""),
		AdminPassword: getenv("ADMIN_PASSWORD"),
	}
	c.Simulator = c.MchID == ""
	if err := c.loadAddr(env); err != nil {
		return c, err
	}
	if n := utf8.RuneCountInString(c.AdminPassword); n > 0 && n < minAdminPassword {
		return c, fmt.Errorf("ADMIN_PASSWORD: want at least %d characters, got %d; or leave it unset to have one generated",
			minAdminPassword, n)
	}
	if err := c.loadURLs(env); err != nil {
		return c, err
	}
	var err error
	if c.DatabaseURL, err = parseDatabaseURL(env("DATABASE_URL", "sqlite:wxcheckout.db")); err != nil {
		return c, err
	}
	if err := c.loadAPIVersion(env); err != nil {
		return c, err
	}
	c.SignType = wxpay.SignHMACSHA256
	if c.APIVersion == APIv2 { // v3 neither needs nor uses it (SPEC §7)
		if c.SignType, err = wxpay.ParseSignType(env("WXPAY_SIGN_TYPE", string(wxpay.SignHMACSHA256))); err != nil {
			return c, fmt.Errorf("WXPAY_SIGN_TYPE: want MD5 or HMAC-SHA256, got %q", getenv("WXPAY_SIGN_TYPE"))
		}
	}
	if c.OrderTTL, err = time.ParseDuration(env("ORDER_TTL", "15m")); err != nil || c.OrderTTL < 2*time.Minute || c.OrderTTL > 2*time.Hour {
		// WeChat wants time_expire at least a minute ahead, and a code_url lives two hours.
		return c, fmt.Errorf("ORDER_TTL %q: want a duration between 2m and 2h, such as 15m", getenv("ORDER_TTL"))
	}
	if err := c.Limits.load(env); err != nil {
		return c, err
	}
	if err := c.Retention.load(env); err != nil {
		return c, err
	}
	if err := c.loadGatewayApp(env); err != nil {
		return c, err
	}
	if err := c.loadGatewayPrivate(env); err != nil {
		return c, err
	}
	if err := c.loadClientCert(env); err != nil {
		return c, err
	}
	if err := c.loadMerchant(); err != nil {
		return c, err
	}
	if err := c.loadDevices(env); err != nil {
		return c, err
	}
	if err := c.loadShop(env); err != nil {
		return c, err
	}
	if c.MetricsToken, err = loadMetricsToken(getenv("METRICS_TOKEN")); err != nil {
		return c, err
	}
	if c.Log, err = LoadLog(getenv); err != nil {
		return c, err
	}
	return c, c.loadV3Merchant(env)
}

// minAdminPassword: the admin console can close orders and shows every
// payment; a short password falls to guessing even at the login limit.
const minAdminPassword = 12

// loadAddr picks the listen address. The simulator marks orders paid for
// anyone who can reach it, so simulator mode listens on loopback unless
// told otherwise.
func (c *Config) loadAddr(env func(string, string) string) error {
	def := ":8080"
	if c.Simulator {
		def = "127.0.0.1:8080"
	}
	c.Addr = env("ADDR", def)
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		return fmt.Errorf("ADDR %q: want HOST:PORT such as 127.0.0.1:8080", c.Addr)
	}
	switch v := env("SIMULATOR_PUBLIC", "0"); v {
	case "1":
		c.SimulatorPublic = true
	case "0":
	default:
		return fmt.Errorf("SIMULATOR_PUBLIC %q: want 1 (listen beyond loopback in simulator mode) or 0", v)
	}
	if c.Simulator && !c.SimulatorPublic && !isLoopback(host) {
		return fmt.Errorf("ADDR %q is not a loopback address: in simulator mode (no WXPAY_MCH_ID) anyone who reaches "+
			"the shop can mark orders paid; use ADDR=127.0.0.1:%s, or set SIMULATOR_PUBLIC=1 to expose it on purpose",
			c.Addr, port)
	}
	return nil
}

// isLoopback: an empty host (":8080") means every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
	case c.APIVersion == APIv2 && c.APIKey == "": // v3's credentials: loadV3Merchant
		return fmt.Errorf("WXPAY_API_KEY is required when WXPAY_MCH_ID is set")
	case c.APIVersion == APIv2 && len(c.APIKey) != 32:
		return fmt.Errorf("WXPAY_API_KEY: a WeChat Pay APIv2 key is 32 characters")
	case c.NotifyURL == "" && !c.publicURLSet:
		return fmt.Errorf("PUBLIC_URL or WXPAY_NOTIFY_URL is required when WXPAY_MCH_ID is set: WeChat must reach the notify URL")
	}
	if c.APIBase == "" {
		c.APIBase = wxpay.DefaultBaseURL
	}
	return nil
}

// loadGatewayApp reads GATEWAY_PID and GATEWAY_KEY: both or neither. An
// error never repeats the key.
func (c *Config) loadGatewayApp(env func(string, string) string) error {
	pid, key := env("GATEWAY_PID", ""), env("GATEWAY_KEY", "")
	switch {
	case pid == "" && key == "":
		return nil
	case key == "":
		return fmt.Errorf("GATEWAY_KEY is required when GATEWAY_PID is set: set both, or neither")
	case pid == "":
		return fmt.Errorf("GATEWAY_PID is required when GATEWAY_KEY is set: set both, or neither")
	}
	n, err := gateway.ParsePid(pid)
	if err != nil {
		return fmt.Errorf("GATEWAY_PID %q: want a decimal number from %d up, such as 1000", pid, models.FirstAppPid)
	}
	if !gateway.ValidAppKey(key) {
		return fmt.Errorf("GATEWAY_KEY: want exactly %d letters and digits (A-Z, a-z, 0-9), got %d characters",
			gateway.AppKeyLen, utf8.RuneCountInString(key))
	}
	c.GatewayPid, c.GatewayKey = n, key
	return nil
}

// loadGatewayPrivate reads GATEWAY_ALLOW_PRIVATE_NOTIFY.
func (c *Config) loadGatewayPrivate(env func(string, string) string) error {
	switch v := env("GATEWAY_ALLOW_PRIVATE_NOTIFY", "0"); v {
	case "1":
		c.GatewayAllowPrivateNotify = true
	case "0":
	default:
		return fmt.Errorf("GATEWAY_ALLOW_PRIVATE_NOTIFY %q: want 1 (merchants may be notified on loopback and private addresses) or 0", v)
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

// NotifyEndpoint is the notify_url sent with every order: WXPAY_NOTIFY_URL,
// or the active API version's endpoint under PUBLIC_URL (SPEC §4).
func (c *Config) NotifyEndpoint() string {
	switch {
	case c.NotifyURL != "":
		return c.NotifyURL
	case c.APIVersion == APIv3:
		return c.PublicURL + "/wxpay/v3/notify"
	}
	return c.PublicURL + "/wxpay/notify"
}

// loadV3Merchant reads the v3 credentials where the app needs them: in
// real mode, and in simulator mode against a standalone simulator, whose
// keys are the files of its --keys directory. The built-in simulator makes
// and keeps its own.
func (c *Config) loadV3Merchant(env func(string, string) string) error {
	if c.APIVersion != APIv3 || (c.Simulator && c.APIBase == "") {
		return nil
	}
	v, err := loadV3(env)
	if err != nil && c.Simulator {
		return fmt.Errorf("%w (WXPAY_API_BASE names a standalone simulator: give its --keys files)", err)
	}
	c.V3 = v
	return err
}

// SecureCookies: cookies carry Secure when the site is served over https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// parseDatabaseURL checks DATABASE_URL: sqlite:PATH, or a PostgreSQL URL
// as libpq accepts it (postgres:// or postgresql://). An error never
// repeats the password.
func parseDatabaseURL(s string) (string, error) {
	if path, ok := strings.CutPrefix(s, "sqlite:"); ok && path != "" {
		return s, nil
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if u, err := url.Parse(s); err == nil && (u.Host != "" || u.Query().Get("host") != "") {
			return s, nil
		}
	}
	return "", fmt.Errorf("DATABASE_URL %q: want sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB", RedactDatabaseURL(s))
}

// RedactDatabaseURL is a database URL fit for a log line or an error: its
// password replaced.
func RedactDatabaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(a database URL that does not parse)"
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.Query().Has("password") {
		q := u.Query()
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
