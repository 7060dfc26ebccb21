package plugin

import (
	"net"
	"net/netip"
	"sync"

	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/request"
)

// nameServer is the target of the federation zone's NS record.
func nameServer(domain string) string { return dnsutil.Join("ns.dns", domain) }

// serverAddresses returns the addresses of the name server ns.dns.<domain>
// (SPEC 4.4): the address the question came in on, or, when the server
// listens on a wildcard address (`::`, `0.0.0.0`), this host's global
// unicast addresses. It never returns an unspecified address.
func serverAddresses(state request.Request) []netip.Addr {
	if ip, err := netip.ParseAddr(state.LocalIP()); err == nil && !ip.IsUnspecified() {
		return []netip.Addr{ip.Unmap()}
	}
	return hostAddresses()
}

// hostAddresses are this host's global unicast interface addresses, read
// once: a pod's addresses do not change while it runs.
var hostAddresses = sync.OnceValue(func() []netip.Addr {
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var addrs []netip.Addr
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().IsGlobalUnicast() {
			addrs = append(addrs, ip.Unmap())
		}
	}
	return addrs
})
