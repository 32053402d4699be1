package gateway

import (
	"fmt"
	"net/netip"
)

// Ranges netip has no predicate for. A table of constants, never written.
var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")      // "this host" on Linux
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")  // carrier-grade NAT, often the provider's internal network
	broadcast   = netip.MustParseAddr("255.255.255.255")  // limited broadcast
	ipv4Compat  = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible IPv6
	nat64       = netip.MustParsePrefix("64:ff9b::/96")   // NAT64 well-known prefix: reaches the embedded IPv4
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48") // local-use NAT64 (RFC 8215)
	sixToFour   = netip.MustParsePrefix("2002::/16")      // 6to4: embeds an IPv4 in bytes 2–5
)

// checkAddr refuses an address a notification must not reach: loopback,
// link-local, private, unspecified, multicast, CGNAT, broadcast, and IPv6
// forms that carry such an IPv4 inside (mapped, compatible, NAT64, 6to4).
func checkAddr(ip netip.Addr) error {
	if forbiddenAddr(ip) {
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, ip)
	}
	return nil
}

func forbiddenAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Zone() != "" {
		return true
	}
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsPrivate() || ip.IsUnspecified() {
		return true
	}
	if ip.Is4() {
		return thisNetwork.Contains(ip) || cgnat.Contains(ip) || ip == broadcast
	}
	b := ip.As16()
	switch {
	case ipv4Compat.Contains(ip), nat64Local.Contains(ip):
		// Deprecated, or a local prefix whose IPv4 position we cannot know.
		return true
	case nat64.Contains(ip):
		// An IPv6-only server behind DNS64 sees public merchants this way.
		return forbiddenAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	case sixToFour.Contains(ip):
		return forbiddenAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return false
}
