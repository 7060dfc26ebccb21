package plugin

import (
	"context"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// discardWriter is a ResponseWriter that drops the reply, so the benchmarks
// measure the handler alone.
type discardWriter struct{ test.ResponseWriter }

func (discardWriter) WriteMsg(*dns.Msg) error { return nil }

func benchmarkServeDNS(b *testing.B, want test.Case) {
	b.Helper()
	fx := newFixture(b, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1", "10.1.0.2", "10.1.0.3"))
	runServeDNS(b, fx.f, want)
}

// runServeDNS measures f answering want's question, without the chase
// through the rest of the server (no upstream): the plugin alone. One reply
// is checked against want before the timing starts, so a benchmark times
// the answer it names.
func runServeDNS(b *testing.B, f *Federation, want test.Case) {
	b.Helper()
	f.upstream = nil
	m := new(dns.Msg)
	m.SetQuestion(want.Qname, want.Qtype)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := f.ServeDNS(context.Background(), rec, m); err != nil || rec.Msg == nil {
		b.Fatalf("No answer to check: %v", err)
	}
	if err := check(rec.Msg, want); err != nil {
		b.Fatalf("Expected %s answered as %v: %v", want.Qname, want.Answer, err)
	}
	w := &discardWriter{}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.ServeDNS(ctx, w, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeDNSLocal answers a healthy local shard with its ClusterIP.
func BenchmarkServeDNSLocal(b *testing.B) { benchmarkServeDNS(b, healthyWeb) }

// BenchmarkServeDNSCNAME answers an unhealthy shard with the zone-level CNAME.
func BenchmarkServeDNSCNAME(b *testing.B) {
	down := "down.ns.myfed.svc.cluster.local."
	benchmarkServeDNS(b, test.Case{Qname: down, Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{cnameTo(down, "down.ns.myfed.svc.z1.r1.example.com.")}})
}

// benchmarkFederation runs ServeDNS for qname with two member clusters that
// publish web in us-east1-b and europe-west1-b; the local cluster (us-east1-c)
// has no shard of web.
func benchmarkFederation(b *testing.B, want test.Case) {
	b.Helper()
	fx := newFixture(b, federation.Topology{Zone: "us-east1-c", Region: "us-east1"}, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	fx.addMember("west", memberObjects("europe-west1-b", "europe-west1", "203.0.113.20")...)
	runServeDNS(b, fx.f, want)
}

// BenchmarkServeDNSChasedCNAME answers an absent local shard with a CNAME to
// the region level and that level's addresses, from two members: the chase
// answered in-process.
func BenchmarkServeDNSChasedCNAME(b *testing.B) {
	benchmarkFederation(b, test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		cnameTo(web, webEast), test.A(webEast + " 17 IN A 203.0.113.40"),
	}})
}

// BenchmarkServeDNSZoneLevel answers a zone level name of the federation zone.
func BenchmarkServeDNSZoneLevel(b *testing.B) {
	benchmarkFederation(b, test.Case{Qname: webEast1b, Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A(webEast1b + " 17 IN A 203.0.113.40")}})
}
