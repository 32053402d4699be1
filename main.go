// Command wxcheckout is a self-hosted checkout for WeChat Pay Native (QR code)
// payments. `wxcheckout` (or `wxcheckout serve`) runs the shop; `wxcheckout
// sim` runs the WeChat Pay simulator (API v2 and v3) on its own.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wxcheckout:", err)
		os.Exit(1)
	}
}

// run is the whole program, so that tests start it exactly as main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout)
	case "sim":
		return runSim(ctx, args, getenv, stdout)
	case "backup":
		return runBackup(ctx, args, getenv, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  wxcheckout [serve]                     run the shop (built-in simulator unless WXPAY_MCH_ID is set;
                                         WXPAY_API_VERSION=v2 or v3)
  wxcheckout sim [--addr 127.0.0.1:9090] [--speedup N] [--state FILE] [--keys DIR] [--v3-sign pubkey|cert|both]
                                         run the WeChat Pay simulator (v2 and v3) on its own
  wxcheckout backup FILE                 copy the SQLite database of DATABASE_URL to the new FILE while
                                         the shop runs, verified (on PostgreSQL: use pg_dump)
  wxcheckout healthcheck [URL]           exit 0 when GET URL/healthz answers 200 (default: the shop at ADDR)
`
