package config

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Limits bound what one client, and all clients together, may take. A
// client is the address the TCP peer or a trusted proxy names; IPv6
// clients count per /64, since one host usually holds a whole /64.
type Limits struct {
	// Per client: checkouts in flight, open payment-page streams, and
	// checkouts plus renews started per minute. Load tests from one
	// address raise them.
	MaxCheckoutsPerClient int
	MaxStreamsPerClient   int
	CheckoutRatePerClient int
	// MaxOpenOrdersPerClient caps a client's unpaid, unexpired orders.
	MaxOpenOrdersPerClient int
	// MaxStreams caps open payment-page streams of all clients together;
	// each holds a goroutine and a connection, and refused pages poll.
	MaxStreams int
	// TrustedProxies may name the client in ClientIPHeader; empty (from
	// TRUSTED_PROXIES=none) trusts no proxy: the TCP peer is the client.
	TrustedProxies []string
	// ClientIPHeader is the one header believed from a trusted proxy:
	// X-Forwarded-For or X-Real-IP.
	ClientIPHeader string
	// GatewayRatePerApp is how many gateway orders (epay and JSON API) one
	// merchant app may create per minute (GATEWAY_RATE_PER_APP).
	GatewayRatePerApp int
	// QueryRate (WXPAY_QUERY_RATE) caps the reconciler's orderquery calls
	// per second: WeChat limits each merchant's call rate per API and
	// answers FREQUENCY_LIMITED beyond it.
	QueryRate int
}

func (l *Limits) load(env func(string, string) string) error {
	ints := []struct {
		to   *int
		name string
		def  int
	}{
		{&l.MaxCheckoutsPerClient, "MAX_CHECKOUTS_PER_CLIENT", 4},
		{&l.MaxStreamsPerClient, "MAX_STREAMS_PER_CLIENT", 32},
		{&l.CheckoutRatePerClient, "CHECKOUT_RATE_PER_CLIENT", 20},
		{&l.MaxOpenOrdersPerClient, "MAX_OPEN_ORDERS_PER_CLIENT", 10},
		{&l.MaxStreams, "MAX_STREAMS", 10000},
		{&l.GatewayRatePerApp, "GATEWAY_RATE_PER_APP", 600},
		{&l.QueryRate, "WXPAY_QUERY_RATE", 500},
	}
	var err error
	for _, v := range ints {
		if *v.to, err = positiveInt(env, v.name, v.def); err != nil {
			return err
		}
	}
	if l.TrustedProxies, err = parseProxies(env("TRUSTED_PROXIES", "127.0.0.1,::1")); err != nil {
		return err
	}
	l.ClientIPHeader, err = parseClientIPHeader(env("CLIENT_IP_HEADER", "X-Forwarded-For"))
	return err
}

// parseProxies reads a comma-separated list of IP addresses and CIDR
// ranges, or "none".
func parseProxies(v string) ([]string, error) {
	if strings.EqualFold(v, "none") {
		return []string{}, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR range (or say none)", p)
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("TRUSTED_PROXIES %q: name proxies, or say none", v)
	}
	return out, nil
}

// parseClientIPHeader allows one header, so that a client cannot pick
// whichever of two headers its proxy forgot to overwrite.
func parseClientIPHeader(v string) (string, error) {
	h := http.CanonicalHeaderKey(v)
	switch h {
	case "X-Forwarded-For", "X-Real-Ip":
		if h == "X-Real-Ip" {
			h = "X-Real-IP"
		}
		return h, nil
	}
	return "", fmt.Errorf("CLIENT_IP_HEADER %q: want X-Forwarded-For or X-Real-IP", v)
}

func positiveInt(env func(string, string) string, name string, def int) (int, error) {
	v := env(name, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("%s %q: want a whole number from 1 to 1000000", name, v)
	}
	return n, nil
}
