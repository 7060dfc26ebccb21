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
	// ports, when not nil, are the ports this target serves (an endpoint
	// of a headless service); else every target serves the ports given.
	ports []federation.Port
}

// maxSRVOctets bounds the SRV records of one answer and their addresses:
// no more than a TCP message holds, however many endpoints and ports a
// tenant's service has.
const maxSRVOctets = 65535

// writeSRV answers a question of type qtype for owner, a service name
// (want zero) or one of its _<port>._<proto> names, from ports and the
// targets that serve them. A port name that no port has is NXDOMAIN; a
// name that exists but is asked another type than SRV, NODATA. Every
// target gets a record per port, identical records once (tcp/42 and
// udp/42 make one record of a bare name).
func (f *Federation) writeSRV(m *dns.Msg, owner string, qtype uint16, want federation.PortLabels, ports []federation.Port, targets []srvTarget) {
	matched := func(ports []federation.Port) []uint16 {
		var out []uint16
		for _, p := range ports {
			if want.Matches(p) {
				out = append(out, p.Port)
			}
		}
		return out
	}
	exists := len(matched(ports)) > 0
	for _, t := range targets {
		exists = exists || len(matched(t.ports)) > 0
	}
	if !exists && want != (federation.PortLabels{}) {
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
	var extra []srvTarget
	octets := 0
	for _, t := range targets {
		if len(t.name) > MaxNameLength {
			continue // a target no answer can carry (SPEC 6.4): a long id, say
		}
		tp := t.ports
		if tp == nil {
			tp = ports
		}
		used := false
		for _, port := range matched(tp) {
			r := record{port, t.name}
			if seen[r] {
				continue
			}
			seen[r] = true
			srv := &dns.SRV{Hdr: f.header(owner, dns.TypeSRV), Port: port, Target: t.name}
			if octets += dns.Len(srv); octets > maxSRVOctets {
				break
			}
			srvs, used = append(srvs, srv), true
		}
		if used {
			extra = append(extra, t)
			octets += len(t.addrs) * (len(t.name) + 28) // its address records, in Additional
		}
		if octets > maxSRVOctets {
			break
		}
	}
	for _, s := range srvs {
		s.Weight = uint16(100 / len(srvs)) //nolint:gosec // at most 100
		m.Answer = append(m.Answer, s)
	}
	for _, t := range extra {
		m.Extra = append(m.Extra, addressRecords(f, t.name, dns.TypeA, t.addrs)...)
		m.Extra = append(m.Extra, addressRecords(f, t.name, dns.TypeAAAA, t.addrs)...)
	}
}
