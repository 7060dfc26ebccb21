package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// TestOddQuestions pins the documented answer to each odd question.
func TestOddQuestions(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	fx.expect(healthyWeb)
	next := func(m *dns.Msg) {
		t.Helper()
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if rcode, _ := fx.f.ServeDNS(context.Background(), rec, m); rcode != dns.RcodeNotImplemented {
			t.Errorf("Expected %v to go to the next plugin, got %s", m.Question, dns.RcodeToString[rcode])
		}
	}

	// No question, or two: not ours (the server refuses both before us).
	next(&dns.Msg{MsgHdr: dns.MsgHdr{Id: 1}})
	two := new(dns.Msg)
	two.SetQuestion(web, dns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	next(two)
	// Classes other than IN: not ours.
	for _, class := range []uint16{dns.ClassCHAOS, dns.ClassANY} {
		m := new(dns.Msg)
		m.SetQuestion(web, dns.TypeA)
		m.Question[0].Qclass = class
		next(m)
	}
	// Escaped and binary labels are not DNS labels: not federated.
	for _, q := range []string{`w\000eb.ns.myfed.svc.cluster.local.`, `web\.x.ns.myfed.svc.cluster.local.`, "w\xffeb.ns.myfed.svc.cluster.local."} {
		m := new(dns.Msg)
		m.SetQuestion(q, dns.TypeA)
		next(m)
	}

	// ANY is a type like any other: NODATA while healthy, the CNAME (with the
	// chased target's answer) when not.
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeANY, Authoritative: true, Ns: []dns.RR{clusterSOA}})
	down := "down.ns.myfed.svc.cluster.local."
	fx.expect(test.Case{Qname: down, Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{cnameTo(down, "down.ns.myfed.svc.z1.r1.example.com.")},
		Ns:     []dns.RR{test.SOA("example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60")}})

	// The longest labels still form a federated name.
	long := strings.Repeat("a", 63)
	name := long + "." + long + ".myfed.svc.cluster.local."
	fx.expect(test.Case{Qname: name, Qtype: dns.TypeCNAME, Authoritative: true,
		Answer: []dns.RR{cnameTo(name, long+"."+long+".myfed.svc.z1.r1.example.com.")}})
	// A label of 64 characters is not a DNS label.
	m := new(dns.Msg)
	m.SetQuestion(long+"a.ns.myfed.svc.cluster.local.", dns.TypeA)
	next(m)

	// The DO bit changes nothing: the plugin does not sign.
	do := new(dns.Msg)
	do.SetQuestion(web, dns.TypeA)
	do.SetEdns0(4096, true)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	fx.f.ServeDNS(context.Background(), rec, do)
	if rec.Msg == nil || len(rec.Msg.Answer) != 1 {
		t.Errorf("Expected the A record with the DO bit set, got %v", rec.Msg)
	}
}
