package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"wxcheckout/gateway"
)

// fakeResolver answers from a table and records the names asked, so no test
// touches DNS. A name missing from the table does not resolve.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]string
	asked []string
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	ips, ok := r.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	addrs := make([]net.IPAddr, 0, len(ips))
	for _, s := range ips {
		addrs = append(addrs, net.IPAddr{IP: net.ParseIP(s)})
	}
	return addrs, nil
}

func newFakeResolver(hosts map[string][]string) *fakeResolver {
	return &fakeResolver{hosts: hosts}
}

func TestCheckNotifyURL(t *testing.T) {
	r := newFakeResolver(map[string][]string{
		"shop.example.com":   {"203.0.113.10", "2001:db8::10"},
		"internal.example":   {"10.1.2.3"},
		"mixed.example":      {"203.0.113.10", "192.168.1.5"},
		"rebind.example":     {"127.0.0.1"},
		"mapped.example":     {"::ffff:169.254.169.254"},
		"empty.example":      {},
		"metadata.example":   {"169.254.169.254"},
		"cgnat.example":      {"100.100.1.1"},
		"ula.example":        {"fd00::1"},
		"nat64-priv.example": {"64:ff9b::a00:1"},
		"nat64-pub.example":  {"64:ff9b::cb00:710a"},
	})
	tests := []struct {
		raw  string
		want error // nil: accepted
	}{
		{"https://shop.example.com/pay/notify", nil},
		{"http://shop.example.com:8080/notify.php?x=1", nil},
		{"http://203.0.113.10/n", nil},
		{"http://[2001:db8::1]:8443/n", nil},
		{"https://nat64-pub.example/n", nil},
		{"ftp://shop.example.com/n", gateway.ErrBadURL},
		{"javascript:alert(1)", gateway.ErrBadURL},
		{"/relative/notify", gateway.ErrBadURL},
		{"//shop.example.com/n", gateway.ErrBadURL},
		{"https:///n", gateway.ErrBadURL},
		{"https://user:pw@shop.example.com/n", gateway.ErrBadURL},
		{"https://shop.example.com/" + strings.Repeat("a", 500), gateway.ErrBadURL},
		{"http://shop.example.com/%zz", gateway.ErrBadURL},
		{"", gateway.ErrBadURL},
		{"http://127.0.0.1/n", gateway.ErrForbiddenAddress},
		{"http://127.9.9.9:80/n", gateway.ErrForbiddenAddress},
		{"http://[::1]/n", gateway.ErrForbiddenAddress},
		{"http://0.0.0.0/n", gateway.ErrForbiddenAddress},
		{"http://[::]/n", gateway.ErrForbiddenAddress},
		{"http://10.0.0.1/n", gateway.ErrForbiddenAddress},
		{"http://172.16.5.4/n", gateway.ErrForbiddenAddress},
		{"http://172.31.255.255/n", gateway.ErrForbiddenAddress},
		{"http://192.168.0.1/n", gateway.ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data", gateway.ErrForbiddenAddress},
		{"http://[fe80::1]/n", gateway.ErrForbiddenAddress},
		{"http://[fe80::1%25eth0]/n", gateway.ErrForbiddenAddress},
		{"http://[fc00::1]/n", gateway.ErrForbiddenAddress},
		{"http://[fd12:3456::1]/n", gateway.ErrForbiddenAddress},
		{"http://224.0.0.1/n", gateway.ErrForbiddenAddress},
		{"http://[ff02::1]/n", gateway.ErrForbiddenAddress},
		{"http://100.64.0.1/n", gateway.ErrForbiddenAddress},
		{"http://100.127.255.254/n", gateway.ErrForbiddenAddress},
		{"http://255.255.255.255/n", gateway.ErrForbiddenAddress},
		{"http://[::ffff:127.0.0.1]/n", gateway.ErrForbiddenAddress},
		{"http://[::ffff:10.0.0.1]/n", gateway.ErrForbiddenAddress},
		{"http://[::ffff:a9fe:a9fe]/n", gateway.ErrForbiddenAddress},
		{"http://[::127.0.0.1]/n", gateway.ErrForbiddenAddress},
		{"http://[2002:c0a8:0101::1]/n", gateway.ErrForbiddenAddress}, // 6to4 of 192.168.1.1
		{"http://localhost/n", gateway.ErrForbiddenAddress},
		{"http://LOCALHOST.:8080/n", gateway.ErrForbiddenAddress},
		{"http://app.localhost/n", gateway.ErrForbiddenAddress},
		{"http://127.1/n", gateway.ErrForbiddenAddress},
		{"http://2130706433/n", gateway.ErrForbiddenAddress},
		{"http://0x7f.0.0.1/n", gateway.ErrForbiddenAddress},
		{"http://017700000001/n", gateway.ErrForbiddenAddress},
		{"http://internal.example/n", gateway.ErrForbiddenAddress},
		{"http://mixed.example/n", gateway.ErrForbiddenAddress},
		{"http://rebind.example/n", gateway.ErrForbiddenAddress},
		{"http://mapped.example/n", gateway.ErrForbiddenAddress},
		{"http://metadata.example/n", gateway.ErrForbiddenAddress},
		{"http://cgnat.example/n", gateway.ErrForbiddenAddress},
		{"http://ula.example/n", gateway.ErrForbiddenAddress},
		{"http://nat64-priv.example/n", gateway.ErrForbiddenAddress},
		{"http://empty.example/n", gateway.ErrForbiddenAddress},
		{"http://nowhere.example/n", gateway.ErrForbiddenAddress},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			err := gateway.CheckNotifyURL(context.Background(), tt.raw, false, r)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckNotifyURL(%q) = %v, want %v", tt.raw, err, tt.want)
			}
		})
	}
}

// TestCheckNotifyURLAllowPrivate: with GATEWAY_ALLOW_PRIVATE_NOTIFY the form
// is still checked, and nothing is resolved.
func TestCheckNotifyURLAllowPrivate(t *testing.T) {
	r := newFakeResolver(nil)
	tests := []struct {
		raw  string
		want error
	}{
		{"http://127.0.0.1:8080/n", nil},
		{"http://localhost/n", nil},
		{"http://printer.lan/n", nil},
		{"http://[::1]/n", nil},
		{"ftp://127.0.0.1/n", gateway.ErrBadURL},
		{"http://u:p@127.0.0.1/n", gateway.ErrBadURL},
	}
	for _, tt := range tests {
		err := gateway.CheckNotifyURL(context.Background(), tt.raw, true, r)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("CheckNotifyURL(%q, allowPrivate) = %v, want %v", tt.raw, err, tt.want)
		}
	}
	if len(r.asked) != 0 {
		t.Errorf("resolver asked %v, want nothing", r.asked)
	}
}

func TestParseCallbackURLLength(t *testing.T) {
	base := "https://shop.example.com/"
	for _, n := range []int{gateway.MaxCallbackURLLen, gateway.MaxCallbackURLLen + 1} {
		raw := base + strings.Repeat("a", n-len(base))
		_, err := gateway.ParseCallbackURL(raw)
		if got, want := err == nil, n <= gateway.MaxCallbackURLLen; got != want {
			t.Errorf("ParseCallbackURL(%d bytes) = %v, want accepted %v", n, err, want)
		}
	}
}

func ExampleCheckNotifyURL() {
	r := newFakeResolver(map[string][]string{"shop.example.com": {"203.0.113.10"}})
	fmt.Println(gateway.CheckNotifyURL(context.Background(), "https://shop.example.com/notify", false, r))
	fmt.Println(gateway.CheckNotifyURL(context.Background(), "http://192.168.1.1/notify", false, r))
	// Output:
	// <nil>
	// gateway: address not allowed: 192.168.1.1 is not a public address
}
