package plugin

import (
	"context"
	"testing"

	"github.com/coredns/coredns/plugin/test"

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
	fx.f.Upstream = nil // measure the plugin, not the stand-in for the rest of the server
	m := new(dns.Msg)
	m.SetQuestion(qname, dns.TypeA)
	w := &discardWriter{}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := fx.f.ServeDNS(ctx, w, m); err != nil {
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
