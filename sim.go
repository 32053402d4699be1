package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"wxcheckout/wxpay/wxpaysim"
)

// runSim is `wxcheckout sim`: the WeChat Pay v2 simulator on its own, for
// other merchant software to point at; its orders live in memory, or in the
// --state file across restarts.
func runSim(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	// Loopback by default: the control endpoints have no authentication and
	// anyone who can reach the simulator can make it POST notifications.
	addr := fs.String("addr", "127.0.0.1:9090", "listen address (e.g. :9090 for every interface)")
	speedup := fs.Float64("speedup", 1, "divide every notification retry delay by this")
	statePath := fs.String("state", "", "keep the orders in this JSON file across restarts (default: in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *speedup <= 0 {
		return fmt.Errorf("sim: --speedup must be positive, got %v", *speedup)
	}
	state, err := simState(*statePath)
	if err != nil {
		return err
	}
	opts := wxpaysim.Options{
		AppID:   getenv("WXPAY_APPID"),
		MchID:   getenv("WXPAY_MCH_ID"),
		APIKey:  getenv("WXPAY_API_KEY"), // empty: the demo merchant's
		Speedup: *speedup,
		Logger:  slog.New(slog.NewTextHandler(stdout, nil)),
		State:   state,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	base := "http://" + displayAddr(ln.Addr())
	opts.Logger.Info("wxpaysim listening", "base_url", base, "phone_page", base+"/scan",
		"appid", orDefault(opts.AppID, wxpaysim.DemoAppID), "mch_id", orDefault(opts.MchID, wxpaysim.DemoMchID),
		"speedup", *speedup, "state", orDefault(*statePath, "memory"))
	return wxpaysim.Serve(ctx, ln, opts)
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
