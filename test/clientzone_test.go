//go:build e2e

package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// zoneCluster starts a member cluster whose one node is in zone of region
// us-central1 (the local cluster's), seeded with a nginx shard at ingress.
func zoneCluster(t *testing.T, name, zone, ingress string) *testbed.Cluster {
	t.Helper()
	c, err := bed.AddCluster(name, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	if err := c.Seed(testbed.Shard{Cluster: name, Region: localRegion, Zone: zone, Ingress: ingress}); err != nil {
		t.Fatal(err)
	}
	return c
}

// addNode adds to cluster c a Node of zone in the local region whose pods
// have addresses in podCIDR and whose own InternalIP is ip; it is deleted
// when the test ends.
func addNode(t *testing.T, c *testbed.Cluster, name, zone, podCIDR, ip string) {
	t.Helper()
	nodes := c.Client.CoreV1().Nodes()
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": localRegion}},
		Spec:       corev1.NodeSpec{PodCIDR: podCIDR, PodCIDRs: []string{podCIDR}},
	}
	created, err := nodes.Create(t.Context(), n, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodes.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	created.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	if _, err := nodes.UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestClientZoneFromSourceAddress: in a regional cluster whose pods live in
// two zones, with a shard in each zone's member cluster and the local shard
// down, the walk starts at the asking pod's zone, found from its address
// by its node's podCIDR, or by the node's own InternalIP (NodeLocal
// DNSCache), with cache in the server block; a source that maps to no node
// gets the local node's walk. Two replicas on nodes of different zones
// answer a client alike (SPEC 5.3). Loopback addresses stand in for pods'.
func TestClientZoneFromSourceAddress(t *testing.T) {
	za := zoneCluster(t, "gke-central-a", "us-central1-a", "203.0.113.61")
	zc := zoneCluster(t, "gke-central-c", "us-central1-c", "203.0.113.62")
	local := bed.Cluster(localCluster)
	addNode(t, local, "node-za", "us-central1-a", "127.0.20.0/24", "127.0.21.1")
	addNode(t, local, "node-zc", "us-central1-c", "127.0.22.0/24", "127.0.23.1")
	restoreNginx(t)
	scale(t, localCluster, 0)
	replica := func(node string) *server {
		return startWith(t, serverConfig{
			kubeconfig: local.Kubeconfig, zones: "cluster.local example.com", kubernetes: true, extra: []string{"cache 30"},
			block: []string{"ttl 5", "member gce-us-central1 local", memberLine("gke-central-a", za.Kubeconfig), memberLine("gke-central-c", zc.Kubeconfig)}, node: node,
		})
	}
	level := func(zone string) string {
		return fmt.Sprintf("nginx.mynamespace.myfederation.svc.%s.us-central1.example.com.", zone)
	}
	region := "nginx.mynamespace.myfederation.svc.us-central1.example.com."
	inZoneA := want("NOERROR", nginx+" CNAME "+level("us-central1-a"), level("us-central1-a")+" A 203.0.113.61")
	inZoneC := want("NOERROR", nginx+" CNAME "+level("us-central1-c"), level("us-central1-c")+" A 203.0.113.62")
	// node-1, CoreDNS's own node, is in us-central1-b: no shard there, so
	// its walk ends at the region level, which has both.
	unknown := want("NOERROR", nginx+" CNAME "+region, region+" A 203.0.113.61", region+" A 203.0.113.62")

	first := replica(testbed.Node)
	expectFrom := func(s *server, src string, w answer) {
		t.Helper()
		s.expectDigFrom(t, src, nginx, "A", w)
	}
	expectFrom(first, "127.0.20.5", inZoneA)
	time.Sleep(100 * time.Millisecond) // within the cache's 30 s: the answer is not the cache's
	expectFrom(first, "127.0.22.5", inZoneC)
	expectFrom(first, "127.0.20.6", inZoneA)
	expectFrom(first, "127.0.21.1", inZoneA) // the node's own address
	expectFrom(first, "127.0.23.1", inZoneC)
	expectFrom(first, "127.0.0.1", unknown) // maps to no node
	for known, least := range map[string]float64{"true": 5, "false": 1} {
		if v, err := first.scrape("coredns_federation_client_zones_total", map[string]string{"known": known}); err != nil || v < least {
			t.Errorf("Expected client_zones_total{known=%s} at least %v, got %v %v", known, least, v, err)
		}
	}

	second := replica("node-zc") // another replica, on a node of the other zone
	// (A client on no known node gets each replica's own walk.)
	for _, src := range []string{"127.0.20.7", "127.0.22.7", "127.0.21.1"} {
		a, err := first.digFrom(src, nginx, "A")
		if err != nil {
			t.Fatal(err)
		}
		expectFrom(second, src, a)
	}
}

// TestTrafficDistributionFollowsTheClient: a local headless shard whose
// Service sets trafficDistribution PreferSameZone answers a pod with the
// ready addresses of its own zone, and with all of them once its zone has
// none; a client on no known node gets the local zone's (SPEC 5.3).
func TestTrafficDistributionFollowsTheClient(t *testing.T) {
	local := bed.Cluster(localCluster)
	addNode(t, local, "node-za", "us-central1-a", "127.0.20.0/24", "127.0.21.1")
	addNode(t, local, "node-zc", "us-central1-c", "127.0.22.0/24", "127.0.23.1")
	td := corev1.ServiceTrafficDistributionPreferSameZone
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "near", Namespace: testbed.Namespace},
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, TrafficDistribution: &td, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	services := local.Client.CoreV1().Services(testbed.Namespace)
	if _, err := services.Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = services.Delete(context.Background(), "near", metav1.DeleteOptions{}) })
	slices := local.Client.DiscoveryV1().EndpointSlices(testbed.Namespace)
	setEndpoints := func(readyA bool) {
		t.Helper()
		ep := func(ip, zone string, ready bool) discoveryv1.Endpoint {
			return discoveryv1.Endpoint{Addresses: []string{ip}, Zone: &zone, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
		}
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: "near-1", Namespace: testbed.Namespace, Labels: map[string]string{
				discoveryv1.LabelServiceName: "near", discoveryv1.LabelManagedBy: "federation-e2e",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{ep("10.77.0.1", "us-central1-a", readyA), ep("10.77.0.2", "us-central1-a", readyA), ep("10.77.0.3", "us-central1-c", true)},
		}
		if _, err := slices.Update(t.Context(), es, metav1.UpdateOptions{}); err != nil {
			if _, err := slices.Create(t.Context(), es, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	setEndpoints(true)
	t.Cleanup(func() { _ = slices.Delete(context.Background(), "near-1", metav1.DeleteOptions{}) })
	// CoreDNS runs on node-za: a client on no known node gets zone a's.
	s := startWith(t, serverConfig{kubeconfig: local.Kubeconfig, zones: "cluster.local", kubernetes: true, extra: []string{"cache 30"}, node: "node-za"})
	name := "near.mynamespace.myfederation.svc.cluster.local."
	expectFrom := func(src string, ips ...string) {
		t.Helper()
		records := make([]string, 0, len(ips))
		for _, ip := range ips {
			records = append(records, name+" A "+ip)
		}
		s.expectDigFrom(t, src, name, "A", want("NOERROR", records...))
	}
	expectFrom("127.0.20.5", "10.77.0.1", "10.77.0.2")
	expectFrom("127.0.22.5", "10.77.0.3")
	expectFrom("127.0.23.1", "10.77.0.3")
	expectFrom("127.0.0.1", "10.77.0.1", "10.77.0.2")
	setEndpoints(false) // zone a has no ready endpoint left
	expectFrom("127.0.20.5", "10.77.0.3")
}
