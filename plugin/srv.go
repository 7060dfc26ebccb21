package plugin

import (
	"net/netip"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// srvTarget is the target of SRV records and its addresses, which go in
// the Additional section (SPEC 12.1).
type srvTarget struct {
	name  string
	addrs []netip.Addr
}

// writeSRV answers a question of type qtype for owner, a service name
// (want zero) or one of its _<port>._<proto> names, from ports and the
// targets that serve them. A port name that no port has is NXDOMAIN; a
// name that exists but is asked another type than SRV, NODATA. Every
// target gets a record per port, identical records once (tcp/42 and
// udp/42 make one record of a bare name).
func (f *Federation) writeSRV(m *dns.Msg, owner string, qtype uint16, want federation.PortLabels, ports []federation.Port, targets []srvTarget) {
	var matched []uint16
	for _, p := range ports {
		if want.Matches(p) {
			matched = append(matched, p.Port)
		}
	}
	if len(matched) == 0 && want != (federation.PortLabels{}) {
		m.Rcode = dns.RcodeNameError
		return
	}
	if qtype != dns.TypeSRV {
		return
	}
	type record struct {
		port   uint16
		target string
	}
	seen := map[record]bool{}
	var srvs []*dns.SRV
	for _, t := range targets {
		for _, port := range matched {
			if r := (record{port, t.name}); !seen[r] {
				seen[r] = true
				srvs = append(srvs, &dns.SRV{Hdr: f.header(owner, dns.TypeSRV), Port: port, Target: t.name})
			}
		}
	}
	for _, s := range srvs {
		s.Weight = uint16(100 / len(srvs)) //nolint:gosec // at most 100
		m.Answer = append(m.Answer, s)
	}
	if len(srvs) == 0 {
		return
	}
	for _, t := range targets {
		m.Extra = append(m.Extra, addressRecords(f, t.name, dns.TypeA, t.addrs)...)
		m.Extra = append(m.Extra, addressRecords(f, t.name, dns.TypeAAAA, t.addrs)...)
	}
}
