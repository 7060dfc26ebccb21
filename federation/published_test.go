package federation

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func labelledNode(name, zone, region string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": region,
	}}}
}

func loadBalancer(name string, ingress ...string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
	}
	for _, in := range ingress {
		if _, err := netip.ParseAddr(in); err == nil {
			svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: in})
		} else {
			svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{Hostname: in})
		}
	}
	return svc
}

func zonedSlice(svc string, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc + "-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   eps,
	}
}

func zonedEndpoint(addr string, ready bool, node, zone string) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
	if node != "" {
		e.NodeName = &node
	}
	if zone != "" {
		e.Zone = &zone
	}
	return e
}

func TestPublishedShard(t *testing.T) {
	client := fake.NewClientset(
		labelledNode("n1", "z1", "r1"), labelledNode("n2", "z2", "r1"),
		// Published: zones from the endpoint, else from its node.
		loadBalancer("web", "203.0.113.1", "2001:db8::1"),
		zonedSlice("web", zonedEndpoint("10.1.0.1", true, "n1", ""), zonedEndpoint("10.1.0.2", true, "", "z3"), zonedEndpoint("10.1.0.3", false, "n2", "")),
		loadBalancer("aws", "LB-1.elb.example.net", "bad_name.example.net"), zonedSlice("aws", zonedEndpoint("10.1.0.9", true, "n1", "")),
		// Not published: no ingress; no ready endpoint; not a LoadBalancer.
		loadBalancer("pending"), zonedSlice("pending", zonedEndpoint("10.1.0.4", true, "n1", "")),
		loadBalancer("idle", "203.0.113.2"), zonedSlice("idle", zonedEndpoint("10.1.0.5", false, "n1", "")),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "internal", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.2"}},
		zonedSlice("internal", zonedEndpoint("10.1.0.6", true, "n1", "")),
		// Endpoints that name no node: the region of any node.
		loadBalancer("nodeless", "203.0.113.3"), zonedSlice("nodeless", zonedEndpoint("10.1.0.7", true, "", "")),
	)
	c := NewCluster("member", client, Nodes{All: true}, Options{})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5e9) {
		t.Fatal("Caches did not sync")
	}

	s, ok := c.PublishedShard("ns", "web")
	want := PublishedShard{Cluster: "member", Region: "r1", Zones: []string{"z1", "z3"}, Ingress: []netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("2001:db8::1")}}
	if !ok || s.Cluster != want.Cluster || s.Region != want.Region || !slices.Equal(s.Zones, want.Zones) || !slices.Equal(s.Ingress, want.Ingress) {
		t.Errorf("Expected %+v, got %+v %v", want, s, ok)
	}
	for _, name := range []string{"pending", "idle", "internal", "missing"} {
		if s, ok := c.PublishedShard("ns", name); ok {
			t.Errorf("Expected %s not to be published, got %+v", name, s)
		}
	}
	if s, ok := c.PublishedShard("ns", "nodeless"); !ok || s.Region != "r1" || len(s.Zones) != 0 {
		t.Errorf("Expected nodeless in region r1 with no zone, got %+v %v", s, ok)
	}
	// An AWS load balancer publishes a hostname only (SPEC 4.2.1); a bad one is left out.
	if s, ok := c.PublishedShard("ns", "aws"); !ok || len(s.Ingress) != 0 || !slices.Equal(s.Hostnames, []string{"lb-1.elb.example.net."}) {
		t.Errorf("Expected aws published with its hostname, got %+v %v", s, ok)
	}
	if n, hosts := c.CountPublished(nil); n != 3 || !slices.Equal(hosts, []string{"lb-1.elb.example.net."}) {
		t.Errorf("Expected 3 published shards and one hostname, got %d %v", n, hosts)
	}

	// Losing its ingress unpublishes a shard; so does deleting the service.
	ctx := context.Background()
	if _, err := client.CoreV1().Services("ns").UpdateStatus(ctx, loadBalancer("web"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ingress removal", func() bool { _, ok := c.PublishedShard("ns", "web"); return !ok })
	for _, name := range []string{"nodeless", "aws"} {
		if err := client.CoreV1().Services("ns").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "service deletion", func() bool { n, _ := c.CountPublished(nil); return n == 0 })
}
