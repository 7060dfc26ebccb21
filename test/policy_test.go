//go:build e2e

package test

import (
	"fmt"
	"testing"

	"github.com/federated-dns/federation/test/testbed"
)

// policyShards creates Service svc in each seed cluster named, with one
// ready endpoint in the cluster's zone and its seed ingress IP with the last
// octet offset, annotated as given, until the test ends.
func policyShards(t *testing.T, svc string, offset int, annotations map[string]string, clusters ...string) map[string]string {
	t.Helper()
	ips := map[string]string{}
	for i, s := range testbed.SeedFederation {
		for _, name := range clusters {
			if s.Cluster != name {
				continue
			}
			ip := fmt.Sprintf("203.0.113.%d", 80+offset+i)
			shardOf(t, bed.Cluster(name), svc, s.Zone, ip, false)
			if annotations != nil {
				if err := bed.Cluster(name).Annotate(svc, annotations); err != nil {
					t.Fatal(err)
				}
			}
			ips[name] = ip
		}
	}
	return ips
}

// localShard creates Service svc in the local cluster, LoadBalancer with
// ingress ip, annotated as given, with ready endpoints, until the test
// ends, and returns the local cluster.
func localShard(t *testing.T, svc, ip string, annotations map[string]string, ready int) *testbed.Cluster {
	t.Helper()
	local := bed.Cluster(localCluster)
	shardOf(t, local, svc, localZone, ip, false)
	if err := local.Annotate(svc, annotations); err != nil {
		t.Fatal(err)
	}
	if err := local.SetEndpoints(svc, localZone, ready, true); err != nil {
		t.Fatal(err)
	}
	return local
}

// TestPreferRegions: a cluster whose own region is down and whose Service
// prefers europe-west1, then us-east1, gets a CNAME to the europe-west1
// region level; with europe-west1 down too, to us-east1 (SPEC 10).
func TestPreferRegions(t *testing.T) {
	ips := policyShards(t, "pref", 0, nil, "gce-europe-west1", "gce-us-east1", "gce-asia-east1")
	localShard(t, "pref", "203.0.113.99", map[string]string{"federated-dns.io/prefer-regions": "europe-west1,us-east1"}, 0)
	s := startFederationServer(t, "30s")
	name := "pref.mynamespace.myfederation.svc.cluster.local."
	europe := "pref.mynamespace.myfederation.svc.europe-west1.example.com."
	east := "pref.mynamespace.myfederation.svc.us-east1.example.com."
	s.expectDig(t, name, "A", want("NOERROR", name+" CNAME "+europe, europe+" A "+ips["gce-europe-west1"]))
	if err := bed.Cluster("gce-europe-west1").SetEndpoints("pref", "europe-west1-b", 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, name, "A", want("NOERROR", name+" CNAME "+east, east+" A "+ips["gce-us-east1"]))
}

// TestMinReadyFailsOver: a shard below its min-ready is left out of its
// levels, and the local one fails over; at min-ready it answers locally.
func TestMinReadyFailsOver(t *testing.T) {
	ips := policyShards(t, "minr", 10, nil, "gce-us-east1")
	local := localShard(t, "minr", "203.0.113.98", map[string]string{"federated-dns.io/min-ready": "3"}, 2)
	s := startFederationServer(t, "30s")
	name := "minr.mynamespace.myfederation.svc.cluster.local."
	zone := "minr.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com."
	region := "minr.mynamespace.myfederation.svc.us-central1.example.com."
	global := "minr.mynamespace.myfederation.svc.example.com."
	// Two ready of three: no shard here, none at the local zone level.
	s.expectDig(t, name, "A", want("NOERROR", name+" CNAME "+global, global+" A "+ips["gce-us-east1"]))
	s.expectDig(t, zone, "A", want("NOERROR", zone+" CNAME "+region, region+" CNAME "+global, global+" A "+ips["gce-us-east1"]))
	if err := local.SetEndpoints("minr", localZone, 3, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, name, "A", want("NOERROR", name+" A "+clusterIP(t, localCluster, "minr")))
	s.expectDig(t, zone, "A", want("NOERROR", zone+" A 203.0.113.98"))
}

// TestScopeRegion: a service scoped to its region by a member's shard
// alone (the local Service has no scope), whose region has no healthy
// shard, ends NXDOMAIN in the cluster and at its region level, while that
// healthy shard elsewhere stays reachable at the global name asked
// directly (SPEC 10, 10.2).
func TestScopeRegion(t *testing.T) {
	scope := map[string]string{"federated-dns.io/scope": "region"}
	ips := policyShards(t, "scoped", 20, scope, "gce-europe-west1")
	localShard(t, "scoped", "203.0.113.97", nil, 0) // only the member's shard carries the scope
	s := startFederationServer(t, "30s")
	name := "scoped.mynamespace.myfederation.svc.cluster.local."
	region := "scoped.mynamespace.myfederation.svc.us-central1.example.com."
	global := "scoped.mynamespace.myfederation.svc.example.com."
	s.expectDig(t, name, "A", want("NXDOMAIN", name+" CNAME "+region).withSOA("example.com."))
	s.expectDig(t, region, "A", want("NXDOMAIN").withSOA("example.com."))
	s.expectDig(t, global, "A", want("NOERROR", global+" A "+ips["gce-europe-west1"]))
}
