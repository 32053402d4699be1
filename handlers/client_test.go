package handlers

import "testing"

func TestClientKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""},
		{"not an ip", "not an ip"},
	}
	for _, tt := range tests {
		if got := clientKey(tt.ip); got != tt.want {
			t.Errorf("clientKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
