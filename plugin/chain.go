package plugin

import (
	"context"

	"github.com/coredns/coredns/core/dnsserver"
)

// maxChain is the most CNAMEs one answer may hold (SPEC 3.7). Anyone who can
// create a Service can make a loop (an ExternalName pointing at its own
// federated name); the bound stops it.
const maxChain = 8

// chainDepth returns how many times this question has re-entered the server
// to chase a CNAME, counted in the request context under the key that
// CoreDNS's own chasing plugins (file, rewrite) count with, so a loop
// through them and back is bounded too.
func chainDepth(ctx context.Context) int {
	d, _ := ctx.Value(dnsserver.LoopKey{}).(int)
	return d
}

// deeper returns ctx one chase deeper.
func deeper(ctx context.Context) context.Context {
	return context.WithValue(ctx, dnsserver.LoopKey{}, chainDepth(ctx)+1)
}

// maxNameLength is the longest name, in presentation form with its final
// dot and without escapes, that fits the 255 octets of the wire (SPEC 6.4).
const maxNameLength = 254
