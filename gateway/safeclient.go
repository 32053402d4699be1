package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// NotifyTimeout bounds one notification attempt, connection to last byte.
const NotifyTimeout = 10 * time.Second

// NewSafeClient returns the HTTP client that calls merchants. Unless
// allowPrivate, its dialer refuses to connect to any address CheckNotifyURL
// would refuse, checked on the address actually dialled: a name that
// resolved to a public address at order creation and to 127.0.0.1 now (DNS
// rebinding) is still refused. It follows no redirects, since a redirect
// would lead the request to a host nobody checked, and reads no proxy from
// the environment, since the check would then see the proxy's address. A nil
// resolver means net.DefaultResolver.
func NewSafeClient(allowPrivate bool, resolver Resolver) *http.Client {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	d := &safeDialer{
		resolver: resolver,
		dialer: &net.Dialer{
			Timeout: NotifyTimeout,
			Control: func(network, address string, _ syscall.RawConn) error {
				if allowPrivate {
					return nil
				}
				return checkDialAddress(address)
			},
		},
	}
	return &http.Client{
		Timeout: NotifyTimeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.DialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    NotifyTimeout,
			ResponseHeaderTimeout:  NotifyTimeout,
			MaxIdleConns:           100,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkDialAddress runs inside the socket's Control hook, after resolution
// and before connect, on the literal ip:port being connected to.
func checkDialAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: dialling %q, not an IP", ErrForbiddenAddress, address)
	}
	return checkAddr(ip)
}

// safeDialer resolves through the injected Resolver and dials the addresses
// one by one; the Control hook refuses the forbidden ones.
type safeDialer struct {
	resolver Resolver
	dialer   *net.Dialer
}

func (d *safeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.dialer.DialContext(ctx, network, address)
	}
	addrs, err := d.resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("dial %s: no address for %q", network, host)
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}
