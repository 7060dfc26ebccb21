//go:build e2e

package test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

const (
	zoneLevel   = "nginx.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com."
	regionLevel = "nginx.mynamespace.myfederation.svc.us-central1.example.com."
	globalLevel = "nginx.mynamespace.myfederation.svc.example.com."
)

// startFederationServer runs bin/coredns as the DNS of the local cluster
// that also serves the federation zone example.com from all four members.
func startFederationServer(t *testing.T, grace string) *server {
	t.Helper()
	block := make([]string, 0, 2+len(testbed.SeedFederation))
	block = append(block, "ttl 5", "grace "+grace)
	for _, s := range testbed.SeedFederation {
		block = append(block, fmt.Sprintf("member %s %s", s.Cluster, bed.Cluster(s.Cluster).Kubeconfig))
	}
	return startWith(t, serverConfig{
		kubeconfig: bed.Cluster(localCluster).Kubeconfig, zones: "cluster.local example.com", block: block, kubernetes: true,
	})
}

// ingresses returns A records at owner for the seed shards of clusters.
func ingresses(owner string, clusters ...string) []string {
	var rrs []string
	for _, s := range testbed.SeedFederation {
		for _, c := range clusters {
			if s.Cluster == c {
				rrs = append(rrs, owner+" A "+s.Ingress)
			}
		}
	}
	sort.Strings(rrs)
	return rrs
}

// scale sets the seed nginx shard of cluster to n ready endpoints, and
// restores it when the test ends.
func scale(t *testing.T, cluster string, n int) {
	t.Helper()
	for _, s := range testbed.SeedFederation {
		if s.Cluster != cluster {
			continue
		}
		if err := bed.Cluster(cluster).SetEndpoints(testbed.Service, s.Zone, n, true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = bed.Cluster(cluster).SetEndpoints(testbed.Service, s.Zone, 2, true) })
	}
}

func TestZoneWalksUpAsShardsScaleDown(t *testing.T) {
	s := startFederationServer(t, "30s")
	all := []string{"gce-asia-east1", "gce-europe-west1", "gce-us-central1", "gce-us-east1"}
	chain := func(rcode string, records ...string) answer {
		return want(rcode, append([]string{zoneLevel + " CNAME " + regionLevel, regionLevel + " CNAME " + globalLevel}, records...)...)
	}

	// Every shard healthy: the zone level answers with its own shard.
	s.expectDig(t, zoneLevel, "A", want("NOERROR", ingresses(zoneLevel, "gce-us-central1")...))
	s.expectDig(t, regionLevel, "A", want("NOERROR", ingresses(regionLevel, "gce-us-central1")...))
	s.expectDig(t, globalLevel, "A", want("NOERROR", ingresses(globalLevel, all...)...))
	s.expectDig(t, "example.com.", "SOA", want("NOERROR", "example.com. SOA ns.dns.example.com. hostmaster.example.com. "+soaTail(t, s)))
	s.expectDig(t, "svc.example.com.", "A", want("NOERROR").withSOA("example.com."))
	s.expectDig(t, "www.nginx.mynamespace.myfederation.svc.example.com.", "A", want("NXDOMAIN").withSOA("example.com."))

	// The local shard scales to zero: zone and region walk up to global,
	// and the in-cluster name points straight at global.
	scale(t, "gce-us-central1", 0)
	s.expectDig(t, zoneLevel, "A", chain("NOERROR", ingresses(globalLevel, "gce-asia-east1", "gce-europe-west1", "gce-us-east1")...))
	s.expectDig(t, nginx, "CNAME", want("NOERROR", nginx+" CNAME "+globalLevel))

	// One by one the others: the global level shrinks, then is NXDOMAIN.
	scale(t, "gce-us-east1", 0)
	s.expectDig(t, zoneLevel, "A", chain("NOERROR", ingresses(globalLevel, "gce-asia-east1", "gce-europe-west1")...))
	scale(t, "gce-europe-west1", 0)
	s.expectDig(t, zoneLevel, "A", chain("NOERROR", ingresses(globalLevel, "gce-asia-east1")...))
	scale(t, "gce-asia-east1", 0)
	s.expectDig(t, zoneLevel, "A", chain("NXDOMAIN").withSOA("example.com."))
	s.expectDig(t, nginx, "A", want("NXDOMAIN", nginx+" CNAME "+globalLevel).withSOA("example.com."))

	// And back.
	scale(t, "gce-asia-east1", 2)
	s.expectDig(t, zoneLevel, "A", chain("NOERROR", ingresses(globalLevel, "gce-asia-east1")...))
	scale(t, "gce-us-central1", 2)
	s.expectDig(t, zoneLevel, "A", want("NOERROR", ingresses(zoneLevel, "gce-us-central1")...))
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service)))
}

// soaTail is the serial and timers of the server's SOA, which the test
// does not predict.
func soaTail(t *testing.T, s *server) string {
	t.Helper()
	a, err := s.dig("udp", "example.com.", "SOA")
	if err != nil || len(a.records) != 1 {
		t.Fatalf("SOA: %v %v", a, err)
	}
	f := strings.Fields(a.records[0])
	return strings.Join(f[len(f)-5:], " ")
}

func TestMemberOutageGrace(t *testing.T) {
	const grace = 3 * time.Second
	s := startFederationServer(t, grace.String())
	all := []string{"gce-asia-east1", "gce-europe-west1", "gce-us-central1", "gce-us-east1"}
	asia := bed.Cluster("gce-asia-east1")
	s.expectDig(t, globalLevel, "A", want("NOERROR", ingresses(globalLevel, all...)...))
	s.expectMetric(t, "coredns_federation_healthy_shards", map[string]string{"cluster": "gce-asia-east1"}, 1)

	// A steady load throughout: every answer is the global level with or
	// without the dead member's shard, never anything else.
	withAsia := want("NOERROR", ingresses(globalLevel, all...)...)
	withoutAsia := want("NOERROR", ingresses(globalLevel, "gce-europe-west1", "gce-us-central1", "gce-us-east1")...)
	finish := load(t, s, globalLevel, dns.TypeA, func(m *dns.Msg) bool {
		got := reduce(m)
		got.records = sortedCopy(got.records)
		return got.equal(withAsia) || got.equal(withoutAsia)
	})

	asia.Kill()
	killed := time.Now()
	t.Cleanup(func() {
		if err := asia.Start(); err != nil {
			t.Error(err)
		}
	})
	// The dead member's shard stays for the grace period, counted from the
	// first failed contact (at the kill, as its connections break), and
	// leaves the answers once it has passed: measured from both sides.
	var gone time.Duration
	eventually(t, "the dead member's shard gone", func() error {
		m, err := s.Exchange("udp", globalLevel, dns.TypeA)
		if err != nil {
			return err
		}
		got := reduce(m)
		got.records = sortedCopy(got.records)
		if got.equal(withAsia) {
			return errors.New("still there")
		}
		if !got.equal(withoutAsia) {
			t.Fatalf("Expected the global level with or without asia, got %v", got)
		}
		gone = time.Since(killed)
		return nil
	})
	t.Logf("Shard left the answers %.2fs after the kill, with a grace of %v", gone.Seconds(), grace)
	if gone < grace-100*time.Millisecond || gone > grace+5*time.Second {
		t.Errorf("Expected the shard to leave the answers after the grace of %v and within 5s of it, took %v", grace, gone)
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "gce-asia-east1"}, 0)
	s.expectMetric(t, "coredns_federation_healthy_shards", map[string]string{"cluster": "gce-asia-east1"}, 0)

	if err := asia.Start(); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, globalLevel, "A", want("NOERROR", ingresses(globalLevel, all...)...))
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "gce-asia-east1"}, 1)
	s.expectMetric(t, "coredns_federation_healthy_shards", map[string]string{"cluster": "gce-asia-east1"}, 1)
	finish(50)
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
