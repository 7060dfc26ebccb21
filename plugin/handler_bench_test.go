package plugin

import (
	"context"
	"testing"

	"github.com/coredns/coredns/plugin/test"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// discardWriter is a ResponseWriter that drops the reply, so the benchmarks
// measure the handler alone.
type discardWriter struct{ test.ResponseWriter }

func (discardWriter) WriteMsg(*dns.Msg) error { return nil }

func benchmarkServeDNS(b *testing.B, qname string) {
	fx := newFixture(b, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1", "10.1.0.2", "10.1.0.3"))
	fx.expect(healthyWeb)
	runServeDNS(b, fx.f, qname)
}

// runServeDNS measures f answering qname A, without the chase through the
// rest of the server (no upstream): the plugin alone.
func runServeDNS(b *testing.B, f *Federation, qname string) {
	f.Upstream = nil
	m := new(dns.Msg)
	m.SetQuestion(qname, dns.TypeA)
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
func BenchmarkServeDNSLocal(b *testing.B) { benchmarkServeDNS(b, web) }

// BenchmarkServeDNSCNAME answers an unhealthy shard with the zone-level CNAME.
func BenchmarkServeDNSCNAME(b *testing.B) {
	benchmarkServeDNS(b, "down.ns.myfed.svc.cluster.local.")
}

// benchmarkFederation runs ServeDNS for qname with two member clusters that
// publish web in us-east1-b and europe-west1-b; the local cluster (us-east1-c)
// has no shard of web.
func benchmarkFederation(b *testing.B, qname string) {
	fx := newFixture(b, federation.Topology{Zone: "us-east1-c", Region: "us-east1"}, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	fx.addMember("west", memberObjects("europe-west1-b", "europe-west1", "203.0.113.20")...)
	runServeDNS(b, fx.f, qname)
}

// BenchmarkServeDNSChasedCNAME answers an absent local shard with a CNAME to
// the region level and that level's addresses, from two members.
func BenchmarkServeDNSChasedCNAME(b *testing.B) { benchmarkFederation(b, web) }

// BenchmarkServeDNSZoneLevel answers a zone level name of the federation zone.
func BenchmarkServeDNSZoneLevel(b *testing.B) { benchmarkFederation(b, webEast1b) }
