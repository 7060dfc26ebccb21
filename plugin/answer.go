package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/request"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// local answers from a healthy local shard (SPEC 3.1): its addresses of the
// asked family under the question's owner name, or NODATA.
func (f *Federation) local(m *dns.Msg, state request.Request, zone string, shard federation.Shard) {
	m.Answer = addressRecords(f, owner(state), state.QType(), shard.Addresses)
	f.negativeSOA(m, zone)
}

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

// cname answers with a CNAME to target and, unless the question asks for the
// CNAME itself, chases it through this server so that a stub resolver gets
// the target's records in the same answer (SPEC 3.3, 3.4). The chase ends
// with SERVFAIL where the chain would pass maxChain CNAMEs (SPEC 3.7); a
// target this server cannot answer (REFUSED, NOTIMP) leaves the CNAME alone
// with NOERROR, for the client's resolver to follow.
func (f *Federation) cname(ctx context.Context, state request.Request, m *dns.Msg, target string) {
	if chainDepth(ctx) >= maxChain {
		// This CNAME would be the chain's ninth: it ends here, and the
		// questions that chased their way here write the chain so far.
		m.Rcode = dns.RcodeServerFailure
		return
	}
	target = strings.ToLower(target)
	m.Answer = append(m.Answer, f.cnameRecord(owner(state), target))
	if state.QType() == dns.TypeCNAME || f.Upstream == nil {
		return
	}
	resp, err := f.Upstream.Lookup(deeper(ctx), state, target, state.QType())
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

func (f *Federation) cnameRecord(owner, target string) dns.RR {
	return &dns.CNAME{Hdr: f.header(owner, dns.TypeCNAME), Target: target}
}

func (f *Federation) header(owner string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: f.TTL}
}

// soa is the SOA record of zone that goes with a negative answer.
func (f *Federation) soa(zone string) dns.RR {
	return &dns.SOA{
		Hdr:     f.header(zone, dns.TypeSOA),
		Ns:      nameServer(zone),
		Mbox:    dnsutil.Join("hostmaster", zone),
		Serial:  f.serial,
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  f.TTL,
	}
}

// topology returns the local zone and region: those of the Corefile, else
// the local node's labels (SPEC 5.1).
func (f *Federation) topology() (federation.Topology, error) {
	t := f.Topology
	if t.Zone != "" && t.Region != "" {
		return t, nil
	}
	node, err := f.Local.NodeTopology(f.Node)
	if err != nil {
		return t, err
	}
	if t.Zone == "" {
		t.Zone = node.Zone
	}
	if t.Region == "" {
		t.Region = node.Region
	}
	if t.Zone == "" || t.Region == "" {
		return t, fmt.Errorf("node labels have no zone or region (zone %q, region %q)", t.Zone, t.Region)
	}
	return t, nil
}

// isEndpointName applies the rule of SPEC 1.3: when namespace n.Federation
// has a headless Service named n.Namespace, the name is that service's
// endpoint name <host>.<service>.<namespace>.svc, not a federated one, and
// goes to the next plugin. The collision is logged once per federation.
func (f *Federation) isEndpointName(n federation.Name) bool {
	svc := f.Local.Service(n.Federation, n.Namespace)
	if svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
		return false
	}
	f.warnings.warning("collision:"+n.Federation, fmt.Sprintf("namespace %q has the name of a federation: names of the form <host>.<service>.%s.svc of its headless services are answered as endpoint names, not federated names", n.Federation, n.Federation))
	return true
}

// owner is the owner name of the records answering the question: the name
// as the client sent it, so answers keep its case (SPEC 1.2).
func owner(state request.Request) string { return state.Req.Question[0].Name }
