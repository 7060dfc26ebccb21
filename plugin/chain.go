package plugin

import (
	"context"
	"sync/atomic"

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

// withChainCut returns ctx of a client's question that is about to be
// chased, carrying where the chase records that the bound cut its chain.
func withChainCut(ctx context.Context) context.Context {
	if chainDepth(ctx) > 0 {
		return ctx
	}
	return context.WithValue(ctx, chainCutKey{}, new(atomic.Bool))
}

// chainCutKey keys the flag that a chase sets when the bound stops the
// chain, so the question that started it can tell a loop from a chain that
// failed for another reason.
type chainCutKey struct{}

// cutChain records that the bound stopped the chain of ctx's question.
func cutChain(ctx context.Context) {
	if cut, ok := ctx.Value(chainCutKey{}).(*atomic.Bool); ok {
		cut.Store(true)
	}
}

// boundChain cuts an answer that holds more than maxChain CNAMEs, counted
// over the whole answer (the chase may have brought CNAMEs of other
// plugins), after the last one allowed, and makes it SERVFAIL: the chain so
// far (SPEC 3.7). It reports whether the answer ends in SERVFAIL; the
// cause is logged as a loop only when the bound stopped the chain, here or
// deeper, not when a chain failed for another reason.
func (f *Federation) boundChain(ctx context.Context, m *dns.Msg, state request.Request) bool {
	n, cut := 0, false
	for i, rr := range m.Answer {
		if rr.Header().Rrtype != dns.TypeCNAME {
			continue
		}
		if n++; n > maxChain {
			m.Answer, m.Ns, m.Rcode = m.Answer[:i], nil, dns.RcodeServerFailure
			cut = true
			break
		}
	}
	if m.Rcode != dns.RcodeServerFailure {
		return false
	}
	if c, ok := ctx.Value(chainCutKey{}).(*atomic.Bool); ok && c.Load() {
		cut = true
	}
	if cut {
		f.chainWarnings.Warningf(state.Name(), "CNAME chain of %s longer than %d: answered SERVFAIL (a loop of ExternalName services?)", state.Name(), maxChain)
	}
	return true
}

// MaxNameLength is the longest name, in presentation form with its final
// dot and without escapes, that fits the 255 octets of the wire (SPEC 6.4).
const MaxNameLength = 254
