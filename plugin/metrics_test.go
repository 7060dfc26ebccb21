package plugin

import (
	"testing"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestResolutionsByLevel(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	fx.expect(healthyWeb)

	count := func(level string) float64 { return counter(resolutions.WithLabelValues("", "myfed", level)) }
	local, zone, none := count(levelLocal), count(federation.LevelZone.String()), count(levelNone)
	fx.ask(web, dns.TypeA)
	fx.ask(web, dns.TypeAAAA)
	fx.ask("down.ns.myfed.svc.cluster.local.", dns.TypeA)
	fx.ask("web.ns.svc.cluster.local.", dns.TypeA) // not federated: not counted

	unsynced := &fixture{t: t, f: newFederation(testConfig(topo, ""), &stubClusters{unsynced: true}, nil)}
	unsynced.ask(web, dns.TypeA)

	if got := count(levelLocal) - local; got != 2 {
		t.Errorf("Expected 2 local resolutions, got %v", got)
	}
	if got := count(federation.LevelZone.String()) - zone; got != 1 {
		t.Errorf("Expected 1 zone resolution, got %v", got)
	}
	if got := count(levelNone) - none; got != 1 {
		t.Errorf("Expected 1 unanswered resolution, got %v", got)
	}
}

func counter(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

func TestUpdateSynced(t *testing.T) {
	UpdateSynced("c1", true)
	if v := testutil.ToFloat64(clusterSynced.WithLabelValues("c1")); v != 1 {
		t.Errorf("Expected cluster_synced 1, got %v", v)
	}
	UpdateSynced("c1", false)
	if v := testutil.ToFloat64(clusterSynced.WithLabelValues("c1")); v != 0 {
		t.Errorf("Expected cluster_synced 0, got %v", v)
	}
}

// TestReloadDropsRemovedMembersSeries: a reload starts the new instance
// before it stops the old; a member the new Corefile still lists keeps its
// series, one it dropped loses them (SPEC 7).
func TestReloadDropsRemovedMembersSeries(t *testing.T) {
	has := func(c *prometheus.GaugeVec, cluster string) bool {
		ch := make(chan prometheus.Metric, 100)
		c.Collect(ch)
		close(ch)
		for m := range ch {
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			for _, l := range pb.GetLabel() {
				if l.GetName() == "cluster" && l.GetValue() == cluster {
					return true
				}
			}
		}
		return false
	}
	old := []string{"reload-kept", "reload-removed"}
	holdSeries(old)
	for _, c := range old {
		UpdateSynced(c, true)
		healthyShards.WithLabelValues(c).Set(3)
	}
	holdSeries([]string{"reload-kept"}) // the new instance starts
	releaseSeries(old)                  // the old one stops
	if !has(clusterSynced, "reload-kept") || !has(healthyShards, "reload-kept") {
		t.Fatal("Expected the kept member's series kept")
	}
	if has(healthyShards, "reload-removed") || has(clusterSynced, "reload-removed") {
		t.Error("Expected the removed member's series deleted")
	}
	releaseSeries([]string{"reload-kept"})
	if has(clusterSynced, "reload-kept") {
		t.Error("Expected the series deleted once no instance reports on the member")
	}
}
