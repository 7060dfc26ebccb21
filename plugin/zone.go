package plugin

import (
	"context"
	"net/netip"
	"time"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// serveZone answers a name under a federation domain as its authority (SPEC
// 4.3, 4.4).
func (f *Federation) serveZone(ctx context.Context, state request.Request, domain string) (int, error) {
	zn := federation.ParseDomainName(state.Name(), domain, func(label string) bool { return f.cfg.Federations[label] == domain })
	now := time.Now()
	if zn.Kind == federation.AtLevel && !f.clusters.Settled(now) {
		return dns.RcodeServerFailure, errUnsettled
	}
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	qtype := state.QType()
	switch zn.Kind {
	case federation.Apex:
		m.Answer = f.apexRecords(state, domain)
	case federation.NameServer:
		m.Answer = addressRecords(f, owner(state), qtype, serverAddresses(state))
	case federation.AtLevel:
		local := f.clusters.Local(zn.Service.Namespace, zn.Service.Service)
		shards, scope := f.clusters.Shards(zn.Service.Namespace, zn.Service.Service, local, now)
		f.writeWalk(m, owner(state), qtype, walkLevels(zn, shards, scope), domain)
	case federation.NoSuchName:
		m.Rcode = dns.RcodeNameError
	}
	f.negativeSOA(m, domain)
	if state.Do() && zn.Kind == federation.AtLevel {
		endAtFirstCNAME(m)
	}
	if m.Rcode == dns.RcodeNameError && f.cfg.Fall.Through(state.Name()) {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, state.W, state.Req)
	}
	if err := state.W.WriteMsg(m); err != nil {
		return dns.RcodeSuccess, err
	}
	return dns.RcodeSuccess, nil
}

// apexRecords answers a question at the apex of zone, one of the plugin's
// authoritative zones: its SOA, its NS (ns.dns.<zone>), or nothing.
func (f *Federation) apexRecords(state request.Request, zone string) []dns.RR {
	switch state.QType() {
	case dns.TypeSOA:
		soa := f.soa(zone)
		soa.Header().Name = owner(state)
		return []dns.RR{soa}
	case dns.TypeNS:
		return []dns.RR{&dns.NS{Hdr: f.header(owner(state), dns.TypeNS), Ns: nameServer(zone)}}
	}
	return nil
}

// addressRecords returns the A or AAAA records of addrs for qtype; none for
// any other type.
func addressRecords(f *Federation, owner string, qtype uint16, addrs []netip.Addr) []dns.RR {
	var rrs []dns.RR
	for _, ip := range addrs {
		switch {
		case qtype == dns.TypeA && ip.Is4():
			rrs = append(rrs, &dns.A{Hdr: f.header(owner, dns.TypeA), A: ip.AsSlice()})
		case qtype == dns.TypeAAAA && ip.Is6():
			rrs = append(rrs, &dns.AAAA{Hdr: f.header(owner, dns.TypeAAAA), AAAA: ip.AsSlice()})
		}
	}
	return rrs
}

// endAtFirstCNAME cuts an answer that walks a CNAME chain to no record of
// the asked type (NXDOMAIN, or NODATA at its end) to its first CNAME, for
// a client that wants DNSSEC: a signer (the dnssec plugin) can prove a
// name's absence only for the name asked, so the resolver asks the target
// itself and gets a denial it can validate (SPEC 13.3).
func endAtFirstCNAME(m *dns.Msg) {
	if len(m.Answer) == 0 || m.Answer[0].Header().Rrtype != dns.TypeCNAME || m.Question[0].Qtype == dns.TypeCNAME {
		return
	}
	last := m.Answer[len(m.Answer)-1].Header().Rrtype
	if m.Rcode == dns.RcodeSuccess && last != dns.TypeCNAME {
		return // the chain ends with records: signed as they are
	}
	m.Answer, m.Ns, m.Rcode = m.Answer[:1], nil, dns.RcodeSuccess
}
