// Command coredns is CoreDNS with the federation plugin compiled in, placed
// directly before the kubernetes plugin in the plugin chain.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/core/plugin" // CoreDNS's own plugins.
	"github.com/coredns/coredns/coremain"
	_ "github.com/federated-dns/federation" // The federation plugin.
)

func main() {
	dnsserver.Directives = insertBefore(dnsserver.Directives, "federation", "kubernetes")
	coremain.Run()
}
