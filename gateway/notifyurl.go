package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// MaxCallbackURLLen bounds notify_url and return_url; they are stored with
// the order and echoed in pages.
const MaxCallbackURLLen = 512

// Resolver looks up a host's addresses. *net.Resolver satisfies it; tests
// pass a fake so they never touch DNS.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// ParseCallbackURL checks the form of a notify_url or return_url: absolute
// http or https, a host, no user:password (it would be sent to the merchant
// in the clear and shown on admin pages), at most MaxCallbackURLLen bytes.
// It does not look at where the host points; see CheckNotifyURL.
func ParseCallbackURL(raw string) (*url.URL, error) {
	if len(raw) > MaxCallbackURLLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadURL, MaxCallbackURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: scheme %q is not http or https", ErrBadURL, u.Scheme)
	case u.Opaque != "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: %q has no host", ErrBadURL, raw)
	case u.User != nil:
		return nil, fmt.Errorf("%w: %q carries user information", ErrBadURL, raw)
	}
	return u, nil
}

// CheckNotifyURL refuses a notify_url the gateway must not call: a bad form
// (ParseCallbackURL), or unless allowPrivate a host that is or resolves to an
// address on the server's own or a private network, since a notification is
// a request the merchant aims from inside our network. Every resolved address
// must be public: the sender may connect to any of them. The check at
// creation gives the merchant an early answer; the sender's dialer
// (NewSafeClient) checks again the address it actually connects to. A nil
// resolver means net.DefaultResolver.
func CheckNotifyURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	u, err := ParseCallbackURL(raw)
	if err != nil || allowPrivate {
		return err
	}
	if r == nil {
		r = net.DefaultResolver
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddr(ip)
	}
	if err := checkHostName(host); err != nil {
		return err
	}
	addrs, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("%w: notify host %q does not resolve: %v", ErrForbiddenAddress, host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%w: notify host %q has no address", ErrForbiddenAddress, host)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return fmt.Errorf("%w: notify host %q resolves to %v", ErrForbiddenAddress, host, a.IP)
		}
		if err := checkAddr(ip); err != nil {
			return fmt.Errorf("notify host %q: %w", host, err)
		}
	}
	return nil
}

// checkHostName refuses names that some resolvers answer locally without
// DNS: localhost (RFC 6761), and numeric forms like 127.1, 0x7f.1 or
// 2130706433 that getaddrinfo reads as IPv4 although netip does not. No
// real top-level domain is numeric.
func checkHostName(host string) error {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %q is the local host", ErrForbiddenAddress, host)
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" || allDigits(last) || strings.HasPrefix(last, "0x") {
		return fmt.Errorf("%w: %q is not a DNS name", ErrForbiddenAddress, host)
	}
	return nil
}
