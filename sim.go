package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"wxcheckout/config"
	"wxcheckout/wxpay/wxpaysim"
)

// runSim is `wxcheckout sim`: the WeChat Pay simulator, v2 and v3, on its
// own, for other merchant software to point at; its orders live in memory,
// or in the --state file across restarts; its v3 keys are the --keys
// directory's files (SPEC §7), or made in memory.
func runSim(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	// Loopback by default: the control endpoints have no authentication and
	// anyone who can reach the simulator can make it POST notifications.
	addr := fs.String("addr", "127.0.0.1:9090", "listen address (e.g. :9090 for every interface)")
	speedup := fs.Float64("speedup", 1, "divide every notification retry delay by this")
	statePath := fs.String("state", "", "keep the orders in this JSON file across restarts (default: in memory)")
	keysDir := fs.String("keys", "", "API v3 keys directory: its files are loaded, missing ones created (default: keys in memory)")
	v3Sign := fs.String("v3-sign", wxpaysim.V3SignPubKey, "what v3 replies and notifications are signed with: pubkey, cert or both (alternating)")
	tlsDir := fs.String("tls", "", "serve HTTPS with a CA kept in this directory, which also gets the merchant's client certificate (apiclient_cert.p12/.pem) that the v2 refund requires; missing files are created")
	refundDelay := fs.Duration("refund-delay", wxpaysim.DefaultRefundDelay, "how long a refund stays PROCESSING before it ends (divided by --speedup; 0 ends it at once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *speedup <= 0 {
		return fmt.Errorf("sim: --speedup must be positive, got %v", *speedup)
	}
	if *refundDelay < 0 {
		return fmt.Errorf("sim: --refund-delay must not be negative, got %v", *refundDelay)
	}
	if err := wxpaysim.CheckV3Sign(*v3Sign); err != nil {
		return fmt.Errorf("sim: --v3-sign: %w", err)
	}
	logCfg, err := config.LoadLog(getenv)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	state, err := simState(*statePath)
	if err != nil {
		return err
	}
	opts := wxpaysim.Options{
		AppID:  getenv("WXPAY_APPID"),
		MchID:  getenv("WXPAY_MCH_ID"),
		APIKey: getenv("WXPAY_API_KEY"), // empty: the demo merchant's
		// The apps (SPEC §9); empty: the demo AppSecret, the mini program
		// being the official account.
		AppSecret:     getenv("WXPAY_MP_APPSECRET"),
		MiniAppID:     getenv("WXPAY_MINIPROGRAM_APPID"),
		MiniAppSecret: getenv("WXPAY_MINIPROGRAM_APPSECRET"),
		Speedup:       *speedup,
		Logger:        newLogger(stdout, logCfg),
		State:         state,
		V3Sign:        *v3Sign,
		// Options' zero means the default; the flag's 0 means at once.
		RefundDelay: cmp.Or(*refundDelay, -1),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	base := "http://" + displayAddr(ln.Addr())
	if *tlsDir != "" {
		if ln, err = simTLS(ln, *tlsDir, *addr, orDefault(opts.MchID, wxpaysim.DemoMchID), opts.Logger); err != nil {
			return err
		}
		opts.ClientCertRequired = true
		base = "https://" + displayAddr(ln.Addr())
	}
	opts.PublicBase = base // mweb_url points a browser here
	opts.Logger.Info("wxpaysim listening", "base_url", base, "phone_page", base+"/scan",
		"oauth", base+"/connect/oauth2/authorize", "jsbridge", base+"/jsbridge.js",
		"appid", orDefault(opts.AppID, wxpaysim.DemoAppID), "mch_id", orDefault(opts.MchID, wxpaysim.DemoMchID),
		"speedup", *speedup, "refund_delay", *refundDelay, "state", orDefault(*statePath, "memory"))
	// The keys come after the listener: making RSA keys takes a moment,
	// during which connections wait in the listen queue rather than fail.
	if opts.V3Keys, err = simV3Keys(*keysDir); err != nil {
		_ = ln.Close()
		return err
	}
	logV3Setup(opts.Logger, *keysDir, opts.V3Keys, *v3Sign)
	return wxpaysim.Serve(ctx, ln, opts)
}

// simTLS loads or creates the --tls files and wraps ln in TLS, and says how
// to configure a v2 merchant program for refunds: file paths, never a key.
func simTLS(ln net.Listener, dir, addr, mchID string, log *slog.Logger) (net.Listener, error) {
	files, err := wxpaysim.LoadOrCreateTLS(dir, mchID)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("sim: --tls: %w", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg, err := files.ServerConfig(host)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("sim: --tls: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	log.Info("wxpaysim tls: HTTPS; /secapi/ (the v2 refund) requires the merchant's client certificate",
		"tls_dir", dir,
		"SSL_CERT_FILE", filepath.Join(dir, wxpaysim.FileTLSCA),
		"WXPAY_CERT_P12_FILE", filepath.Join(dir, wxpaysim.FileClientP12),
		"WXPAY_CERT_P12_PASSWORD", "the mch_id (the default)",
		"WXPAY_CERT_FILE", filepath.Join(dir, wxpaysim.FileClientCert),
		"WXPAY_KEY_FILE", filepath.Join(dir, wxpaysim.FileClientKey))
	return tls.NewListener(ln, cfg), nil
}

// simV3Keys loads or creates the --keys files, or makes keys in memory.
func simV3Keys(dir string) (*wxpaysim.V3Keys, error) {
	if dir == "" {
		k, err := wxpaysim.GenerateV3Keys(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("sim: v3 keys: %w", err)
		}
		return k, nil
	}
	k, err := wxpaysim.LoadOrCreateV3Keys(dir)
	if err != nil {
		return nil, fmt.Errorf("sim: --keys: %w", err)
	}
	return k, nil
}

// logV3Setup says how to configure a v3 merchant program against the
// simulator: file paths, serials and IDs, never a private key or the
// APIv3 key itself.
func logV3Setup(log *slog.Logger, dir string, k *wxpaysim.V3Keys, mode string) {
	if dir == "" {
		log.Info("wxpaysim v3: keys made in memory for this run only; start with --keys DIR to configure a v3 program",
			"v3_sign", mode)
		return
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	log.Info("wxpaysim v3", "keys_dir", dir, "v3_sign", mode,
		"WXPAY_MCH_CERT_SERIAL", k.MchSerial(),
		"WXPAY_MCH_PRIVATE_KEY_FILE", filepath.Join(dir, wxpaysim.FileMchKey),
		"WXPAY_APIV3_KEY", "the contents of "+filepath.Join(dir, wxpaysim.FileAPIv3Key),
		"WXPAY_PUBLIC_KEY_FILE", filepath.Join(dir, wxpaysim.FilePubKey),
		"WXPAY_PUBLIC_KEY_ID", k.PublicKeyID,
		"WXPAY_PLATFORM_CERT_FILE", filepath.Join(dir, wxpaysim.FilePlatformCert),
		"platform_cert_serial", k.PlatformSerial())
}

// simState is the --state file, or nil for state in memory. A file that
// cannot be read stops the start rather than losing its orders.
func simState(path string) (wxpaysim.StateStore, error) {
	if path == "" {
		return nil, nil
	}
	st, err := wxpaysim.OpenFileState(path)
	if err != nil {
		return nil, fmt.Errorf("sim: --state: %w", err)
	}
	return st, nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
