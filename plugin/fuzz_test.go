package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// FuzzServeDNS feeds arbitrary wire messages to the handler with populated
// caches: a healthy local service, an absent one published by a member, and
// the federation zone. It must never panic, and whatever it writes must be a
// reply to the question that packs, whose answer section is a chain: each
// record is owned by the question's name or by the target of a CNAME before
// it.
func FuzzServeDNS(f *testing.F) {
	fx := newFixture(f, federation.Topology{Zone: "us-east1-c", Region: "us-east1"}, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	fx.createService(service("up", "10.0.0.1", "10.0.0.1", "fd00::1"))
	fx.applySlice(endpointSlice("up", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	fx.expect(test.Case{Qname: "up.ns.myfed.svc.cluster.local.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("up.ns.myfed.svc.cluster.local. 17 IN A 10.0.0.1")}})
	fx.f.cfg.Clusterset = Clusterset{Federation: "myfed", Zone: "clusterset.local."}

	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"up.ns.myfed.svc.cluster.local.", dns.TypeA},
		{"web.ns.myfed.svc.cluster.local.", dns.TypeAAAA},
		{"web.ns.myfed.svc.us-east1-b.us-east1.example.com.", dns.TypeA},
		{"web.ns.myfed.svc.europe-west1.example.com.", dns.TypeMX},
		{"example.com.", dns.TypeSOA},
		{"ns.dns.example.com.", dns.TypeA},
		{"svc.example.com.", dns.TypeANY},
		{`w\.eb.ns.myfed.svc.cluster.local.`, dns.TypeA},
		{"_http._tcp.up.ns.myfed.svc.cluster.local.", dns.TypeSRV},
		{"_http._tcp.web.ns.myfed.svc.us-east1-b.us-east1.example.com.", dns.TypeSRV},
		{"up.ns.svc.clusterset.local.", dns.TypeSRV},
		{"db-0.east.reg.up.ns.svc.clusterset.local.", dns.TypeA},
		{"dns-version.clusterset.local.", dns.TypeTXT},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(512, true)
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire)
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		r := new(dns.Msg)
		if err := r.Unpack(wire); err != nil {
			return // the server drops what does not unpack
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		fx.f.ServeDNS(context.Background(), rec, r)
		if rec.Msg == nil {
			return
		}
		if rec.Msg.Id != r.Id || !rec.Msg.Response || len(rec.Msg.Question) != len(r.Question) ||
			len(r.Question) > 0 && rec.Msg.Question[0] != r.Question[0] {
			t.Fatalf("Reply does not match the question: %v", rec.Msg)
		}
		owners := map[string]bool{}
		if len(r.Question) > 0 {
			owners[strings.ToLower(r.Question[0].Name)] = true
		}
		for _, rr := range rec.Msg.Answer {
			if !owners[strings.ToLower(rr.Header().Name)] {
				t.Fatalf("Record %v is not on the chain from the question: %v", rr, rec.Msg)
			}
			if c, ok := rr.(*dns.CNAME); ok {
				owners[strings.ToLower(c.Target)] = true
			}
		}
		if _, err := rec.Msg.Pack(); err != nil {
			t.Fatalf("Reply does not pack: %v", err)
		}
	})
}
