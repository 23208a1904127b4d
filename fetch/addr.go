package fetch

import (
	"fmt"
	"net/netip"
	"strings"
)

// specialRanges are the destinations a fetch refuses unless they are in
// Fetcher.Allow: addresses that are not the public internet (this host,
// private networks, link-local with its cloud metadata services, carrier
// NAT, multicast, documentation and reserved blocks) and the IPv6 forms
// that carry an IPv4 address a gateway would translate.
var specialRanges = mustPrefixes(
	// IPv4.
	"0.0.0.0/8",          // "this network", unspecified
	"10.0.0.0/8",         // private
	"100.64.0.0/10",      // carrier-grade NAT
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local, cloud metadata
	"172.16.0.0/12",      // private
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.2.0/24",       // documentation
	"192.31.196.0/24",    // AS112
	"192.52.193.0/24",    // AMT
	"192.88.99.0/24",     // 6to4 relay anycast
	"192.168.0.0/16",     // private
	"192.175.48.0/24",    // AS112
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation
	"203.0.113.0/24",     // documentation
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, broadcast
	"255.255.255.255/32", // broadcast
	// IPv6.
	"::/96",          // unspecified, loopback, IPv4-compatible
	"::ffff:0:0/96",  // IPv4-mapped (unmapped before the check; kept for safety)
	"64:ff9b::/96",   // NAT64
	"64:ff9b:1::/48", // local NAT64
	"100::/64",       // discard
	"2001::/23",      // IETF protocol assignments, Teredo, benchmarking
	"2001:db8::/32",  // documentation
	"2002::/16",      // 6to4
	"3fff::/20",      // documentation
	"5f00::/16",      // segment routing
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"fec0::/10",      // site-local (deprecated)
	"ff00::/8",       // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// IsSpecial reports whether ip is outside the public internet: loopback,
// private, link-local, carrier-grade NAT, multicast, unspecified,
// documentation, reserved, or an IPv6 form that embeds an IPv4 address for
// translation. Fetches refuse such destinations unless allowed.
func IsSpecial(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return true
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range specialRanges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseAllowList reads the -allow-private-fetch value: IP addresses or CIDR
// prefixes separated by commas or spaces. An empty string allows nothing.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
		}
		ip = ip.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// allowed reports whether a connection to ip may be made.
func (f *Fetcher) allowed(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range f.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return !IsSpecial(ip)
}
