package plugin

import (
	"context"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
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

// boundChain cuts an answer that holds more than maxChain CNAMEs, counted
// over the whole answer (the chase may have brought CNAMEs of other
// plugins), after the last one allowed, and makes it SERVFAIL: the chain so
// far (SPEC 3.7). It reports whether the answer ends in SERVFAIL.
func (f *Federation) boundChain(m *dns.Msg, state request.Request) bool {
	n := 0
	for i, rr := range m.Answer {
		if rr.Header().Rrtype != dns.TypeCNAME {
			continue
		}
		if n++; n > maxChain {
			m.Answer, m.Ns, m.Rcode = m.Answer[:i], nil, dns.RcodeServerFailure
			break
		}
	}
	if m.Rcode != dns.RcodeServerFailure {
		return false
	}
	if n >= maxChain {
		f.chainWarnings.Warningf(state.Name(), "CNAME chain of %s longer than %d: answered SERVFAIL (a loop of ExternalName services?)", state.Name(), maxChain)
	}
	return true
}

// MaxNameLength is the longest name, in presentation form with its final
// dot and without escapes, that fits the 255 octets of the wire (SPEC 6.4).
const MaxNameLength = 254
