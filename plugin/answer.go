package plugin

import (
	"context"
	"strings"

	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// negativeSOA adds the zone's SOA to an answer that ends without a record
// of the asked type: no answer, NXDOMAIN, or a CNAME whose target has none.
func (f *Federation) negativeSOA(m *dns.Msg, domain string) {
	if len(m.Answer) > 0 && m.Rcode == dns.RcodeSuccess {
		last := m.Answer[len(m.Answer)-1].Header().Rrtype
		if last != dns.TypeCNAME || m.Question[0].Qtype == dns.TypeCNAME {
			return
		}
	}
	m.Ns = []dns.RR{f.soa(domain)}
}

// chase answers with a CNAME to target and, unless the question asks for the
// CNAME itself, chases it through this server so that a stub resolver gets
// the target's records in the same answer (SPEC 3.3, 3.4). The chase ends
// with SERVFAIL where the chain would pass maxChain CNAMEs (SPEC 3.7); a
// target this server cannot answer (REFUSED, NOTIMP) leaves the CNAME alone
// with NOERROR, for the client's resolver to follow.
func (f *Federation) chase(ctx context.Context, state request.Request, m *dns.Msg, target string) {
	if chainDepth(ctx) >= maxChain {
		// This CNAME would be the chain's ninth: it ends here, and the
		// questions that chased their way here write the chain so far.
		m.Rcode = dns.RcodeServerFailure
		cutChain(ctx)
		return
	}
	target = strings.ToLower(target)
	m.Answer = append(m.Answer, f.cnameRecord(owner(state), target))
	if state.QType() == dns.TypeCNAME || f.upstream == nil {
		return
	}
	resp, err := f.upstream.Lookup(deeper(ctx), state, target, state.QType())
	if err != nil || resp == nil {
		return
	}
	if resp.Rcode == dns.RcodeRefused || resp.Rcode == dns.RcodeNotImplemented {
		return
	}
	m.Answer = append(m.Answer, resp.Answer...)
	m.Rcode = resp.Rcode
	m.Truncated = m.Truncated || resp.Truncated
	if len(resp.Answer) == 0 || resp.Rcode != dns.RcodeSuccess {
		m.Ns = resp.Ns
	}
}

// writeWalk adds the records of walk w to m, owned first by owner (the
// question's name in its case, or a CNAME target): a CNAME for each step
// up, followed for every type but CNAME (RFC 1034 4.3.2), then the
// addresses of the asked type at the end, or NXDOMAIN.
func (f *Federation) writeWalk(m *dns.Msg, owner string, qtype uint16, w walk, domain string) {
	last := w.at.Level
	for _, l := range w.levels[1:w.n] {
		next := w.at.Port.Prefix() + w.at.Service.LevelName(l, w.at.Zone, w.at.Region, domain)
		m.Answer = append(m.Answer, f.cnameRecord(owner, next))
		if qtype == dns.TypeCNAME {
			return
		}
		owner, last = next, l
	}
	if len(w.addrs) == 0 {
		m.Rcode = dns.RcodeNameError
		return
	}
	if w.at.Port != (federation.PortLabels{}) || qtype == dns.TypeSRV {
		// SRV at a level: its ports, the level name as the target (SPEC 12.1).
		target := srvTarget{name: w.at.Service.LevelName(last, w.at.Zone, w.at.Region, domain), addrs: w.addrs}
		f.writeSRV(m, owner, qtype, w.at.Port, w.ports(), []srvTarget{target})
		return
	}
	m.Answer = append(m.Answer, addressRecords(f, owner, qtype, w.addrs)...)
}

func (f *Federation) cnameRecord(owner, target string) dns.RR {
	return &dns.CNAME{Hdr: f.header(owner, dns.TypeCNAME), Target: target}
}

func (f *Federation) header(owner string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: f.cfg.TTL}
}

// The SOA's timers, for secondaries of a federation zone (SPEC 13): a
// NOTIFY brings every change at once; one that is lost is made up within
// a minute (refresh), a failed refresh tried again in 10 s, and a
// secondary that cannot reach the primary keeps answering for a day.
const (
	soaRefresh = 60
	soaRetry   = 10
	soaExpire  = 86400
)

// soa is the SOA record of zone that goes with a negative answer.
func (f *Federation) soa(zone string) dns.RR {
	return &dns.SOA{
		Hdr:     f.header(zone, dns.TypeSOA),
		Ns:      nameServer(zone),
		Mbox:    dnsutil.Join("hostmaster", zone),
		Serial:  f.serials.serialOf(zone),
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  f.cfg.TTL,
	}
}

// owner is the owner name of the records answering the question: the name
// as the client sent it, so answers keep its case (SPEC 1.2).
func owner(state request.Request) string { return state.Req.Question[0].Name }
