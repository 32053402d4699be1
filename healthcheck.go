package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck is `wxcheckout healthcheck [URL]`: GET /healthz of the
// shop (by default the one ADDR says, on loopback) and succeed on 200 only.
// Container images have no curl; their HEALTHCHECK calls this.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("healthcheck takes at most one argument, the shop's base URL\n%s", usage)
	}
	base := ""
	if len(args) == 1 {
		base = args[0]
	} else {
		addr := strings.TrimSpace(getenv("ADDR"))
		if addr == "" {
			addr = ":8080"
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" {
			return fmt.Errorf("ADDR %q: want HOST:PORT such as 127.0.0.1:8080", addr)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return fmt.Errorf("healthcheck: want a URL such as http://127.0.0.1:8080, got %q", base)
	}
	url := strings.TrimRight(base, "/") + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return nil
}
