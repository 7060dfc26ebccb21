// Command coredns is CoreDNS with the federation plugin compiled in, placed
// directly before the cache plugin in the plugin chain (and so before
// kubernetes): its answers are computed from memory, and a cache in front
// of them would hold a failover back for their TTL (SPEC 6.3). The dnssec
// plugin moves directly before it, so it signs the plugin's answers
// (SPEC 13.3).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/core/plugin" // CoreDNS's own plugins.
	"github.com/coredns/coredns/coremain"
	_ "github.com/federated-dns/federation" // The federation plugin.
)

func main() {
	dnsserver.Directives = insertBefore(dnsserver.Directives, "federation", anchor)
	dnsserver.Directives = moveBefore(dnsserver.Directives, "dnssec", "federation")
	coremain.Run()
}
