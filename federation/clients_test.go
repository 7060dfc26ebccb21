package federation

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// set sets the addresses of Node name in x, as the Node watch's events do;
// last remembers what each Node had.
func (x *clientIndex) set(last map[string]nodeAddrs, name string, a nodeAddrs) {
	x.update(name, last[name], a)
	last[name] = a
}

func addrs(cidrs, ips []string) nodeAddrs {
	var a nodeAddrs
	for _, c := range cidrs {
		a.podCIDRs = append(a.podCIDRs, netip.MustParsePrefix(c))
	}
	for _, ip := range ips {
		a.internalIPs = append(a.internalIPs, netip.MustParseAddr(ip))
	}
	return a
}

// TestClientIndex maps client addresses to the Node they ask from (SPEC
// 5.3): pods by the podCIDRs of their node, IPv4 and IPv6 and both, the
// node itself by its InternalIP; an address no node or two nodes claim
// maps to none; a deleted node maps nothing.
func TestClientIndex(t *testing.T) {
	var x clientIndex
	last := map[string]nodeAddrs{}
	x.set(last, "a", addrs([]string{"10.244.1.0/24", "fd00:244:1::/64"}, []string{"192.168.0.1"}))
	x.set(last, "b", addrs([]string{"10.244.2.0/24"}, []string{"192.168.0.2", "fd00::2"}))
	x.set(last, "v6only", addrs([]string{"fd00:244:3::/64"}, nil))
	x.set(last, "wide", addrs([]string{"10.250.0.0/16"}, nil))
	x.set(last, "inside", addrs([]string{"10.250.7.0/24"}, nil))
	x.set(last, "twin1", addrs([]string{"10.99.0.0/24"}, nil))
	x.set(last, "twin2", addrs([]string{"10.99.0.0/24"}, nil))
	x.set(last, "nothing", nodeAddrs{})
	x.set(last, "twice", addrs(nil, []string{"192.168.0.9", "192.168.0.9"})) // listed twice: still its own
	for _, tc := range []struct {
		addr string
		node string // "": none
	}{
		{"10.244.1.17", "a"},
		{"fd00:244:1::17", "a"},
		{"::ffff:10.244.1.17", "a"},
		{"10.244.2.200", "b"},
		{"192.168.0.1", "a"},
		{"192.168.0.2", "b"},
		{"fd00::2", "b"},
		{"fd00:244:3::1", "v6only"},
		{"10.250.9.1", "wide"},
		{"10.250.7.1", "inside"}, // the longest prefix wins
		{"10.99.0.5", ""},        // two nodes claim it
		{"10.244.3.1", ""},
		{"127.0.0.1", ""},
		{"192.168.0.9", "twice"},
	} {
		got, ok := x.lookup(netip.MustParseAddr(tc.addr))
		if got != tc.node || ok != (tc.node != "") {
			t.Errorf("%s: expected node %q, got %q %v", tc.addr, tc.node, got, ok)
		}
	}
	if n := x.len(); n != 8 {
		t.Errorf("Expected 8 nodes with addresses, got %d", n)
	}

	x.set(last, "a", nodeAddrs{}) // deleted, or its addresses gone
	x.set(last, "twin2", nodeAddrs{})
	x.set(last, "inside", addrs([]string{"10.244.9.0/24"}, nil))
	for _, tc := range []struct{ addr, node string }{
		{"10.244.1.17", ""},
		{"192.168.0.1", ""},
		{"10.99.0.5", "twin1"},
		{"10.250.7.1", "wide"},
		{"10.244.9.3", "inside"},
	} {
		got, ok := x.lookup(netip.MustParseAddr(tc.addr))
		if got != tc.node || ok != (tc.node != "") {
			t.Errorf("after the changes, %s: expected node %q, got %q %v", tc.addr, tc.node, got, ok)
		}
	}
	if len(x.widths[0]) != 2 || x.widths[0][0] != 24 || x.widths[0][1] != 16 {
		t.Errorf("Expected the IPv4 prefix lengths 24 and 16 in use, got %v", x.widths[0])
	}
}

// TestClusterMapsClientsToNodes: a cluster that watches its Nodes for
// clients maps a pod's address and a node's InternalIP to that Node and
// its topology, and forgets a deleted Node (SPEC 5.3).
func TestClusterMapsClientsToNodes(t *testing.T) {
	node := func(name, zone, cidr, ip string) *corev1.Node {
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{ZoneLabels[0]: zone, RegionLabels[0]: "r1"}},
			Spec:       corev1.NodeSpec{PodCIDRs: []string{cidr}},
			Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeExternalIP, Address: "198.51.100.1"}}},
		}
	}
	client := fake.NewClientset(node("a", "z1", "10.244.1.0/24", "192.168.0.1"), node("b", "z2", "10.244.2.0/24", "192.168.0.2"))
	c := NewCluster("local", client, Nodes{Clients: true}, Options{})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	for addr, want := range map[string]Client{
		"10.244.2.9":   {Node: "b", Topology: Topology{Zone: "z2", Region: "r1"}},
		"192.168.0.1":  {Node: "a", Topology: Topology{Zone: "z1", Region: "r1"}},
		"198.51.100.1": {}, // an ExternalIP maps no client
	} {
		got, ok := c.ClientNode(netip.MustParseAddr(addr))
		if got != want || ok != (want.Node != "") {
			t.Errorf("%s: expected %+v, got %+v %v", addr, want, got, ok)
		}
	}
	if err := client.CoreV1().Nodes().Delete(t.Context(), "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node b forgotten", func() bool {
		_, ok := c.ClientNode(netip.MustParseAddr("10.244.2.9"))
		return !ok
	})
	// Its range, given to a new node, is that node's alone.
	if _, err := client.CoreV1().Nodes().Create(t.Context(), node("c", "z3", "10.244.2.0/24", "192.168.0.3"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node c mapped", func() bool {
		got, ok := c.ClientNode(netip.MustParseAddr("10.244.2.9"))
		return ok && got.Node == "c"
	})
}

// TestTrafficDistributionSameZone: a headless Service whose
// trafficDistribution is PreferSameZone (or PreferClose) answers a client
// in a zone with that zone's ready addresses while it has any, else all of
// them; without it, or for a client of no known zone, all (SPEC 5.3).
func TestTrafficDistributionSameZone(t *testing.T) {
	ready := true
	inZone := func(addr, zone string) discoveryv1.Endpoint {
		e := endpoint(addr, &ready, nil)
		e.Zone = &zone
		return e
	}
	slices := cachedSlices(
		slice(discoveryv1.AddressTypeIPv4, inZone("10.1.0.1", "z1"), inZone("10.1.0.2", "z2"), inZone("10.1.0.3", "z1")),
		slice(discoveryv1.AddressTypeIPv6, inZone("fd00::2", "z2")),
	)
	all := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2"), netip.MustParseAddr("10.1.0.3"), netip.MustParseAddr("fd00::2")}
	for _, td := range []string{corev1.ServiceTrafficDistributionPreferSameZone, corev1.ServiceTrafficDistributionPreferClose, ""} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}
		if td != "" {
			svc.Spec.TrafficDistribution = &td
		}
		s := newShard(cachedService(svc), slices)
		a := netip.MustParseAddr
		for _, tc := range []struct {
			zone string
			v6   bool
			want []netip.Addr
		}{
			{"z1", false, []netip.Addr{a("10.1.0.1"), a("10.1.0.3")}},
			{"z1", true, all}, // z1 has no IPv6 endpoint: every zone's
			{"z2", false, []netip.Addr{a("10.1.0.2")}},
			{"z2", true, []netip.Addr{a("fd00::2")}},
			{"z9", false, all}, // no ready endpoint in the client's zone
			{"", false, all},   // a client of no known zone
		} {
			zone, want := tc.zone, tc.want
			if td == "" {
				want = all // no trafficDistribution: every address
			}
			if got := s.AddressesIn(zone, tc.v6); !reflect.DeepEqual(got, want) {
				t.Errorf("trafficDistribution %q, zone %q, IPv6 %v: expected %v, got %v", td, zone, tc.v6, want, got)
			}
		}
	}
}
