package federation

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// TestToEndpointSlice: the cache keeps of a slice its ready endpoints with
// an address, counted, their addresses and their places, each once.
func TestToEndpointSlice(t *testing.T) {
	bad := "not_a_label"
	es := zonedSlice("web",
		zonedEndpoint("10.1.0.1", true, "n1", "z1"),
		zonedEndpoint("::ffff:10.1.0.1", true, "n1", "z1"),                                 // the same address and place
		zonedEndpoint("10.1.0.2", false, "n2", "z2"),                                       // not ready: nothing of it
		zonedEndpoint("bogus", true, "n3", ""),                                             // counted, no address
		discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: new(true)}}, // no address: not counted
		discoveryv1.Endpoint{Addresses: []string{"10.1.0.4"}, Zone: &bad},
	)
	es.ResourceVersion = "7"
	obj, err := toEndpointSlice(es)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*endpointSlice)
	if got.service != "web" || got.family != familyIPv4 || got.ready != 4 {
		t.Errorf("Expected service web, IPv4, 4 ready, got %q %d %d", got.service, got.family, got.ready)
	}
	if want := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.4")}; !slices.Equal(got.addrs, want) {
		t.Errorf("Expected addresses %v, got %v", want, got.addrs)
	}
	places := make([]string, 0, len(got.places))
	for _, p := range got.places {
		places = append(places, text(p.node)+"/"+text(p.zone))
	}
	if want := []string{"n1/z1", "n3/", "/"}; !slices.Equal(places, want) {
		t.Errorf("Expected places %v, got %v", want, places)
	}
	key, err := cache.MetaNamespaceKeyFunc(got)
	if err != nil || key != "ns/web-1" {
		t.Errorf("Expected the informer's key ns/web-1, got %q (%v)", key, err)
	}
	if m, err := meta.Accessor(got); err != nil || m.GetResourceVersion() != "7" {
		t.Errorf("Expected resource version 7, got %v (%v)", m, err)
	}
	c := got.DeepCopyObject().(*endpointSlice)
	if !reflect.DeepEqual(c, got) {
		t.Errorf("Expected an equal copy, got %+v", c)
	}
	c.addrs[0] = netip.MustParseAddr("10.9.9.9")
	if got.addrs[0] == c.addrs[0] {
		t.Error("Expected a deep copy, got shared addresses")
	}
}

// TestToService: the cache keeps a Service's kind, parsed addresses, valid
// ingress once, and its valid policy.
func TestToService(t *testing.T) {
	lb := loadBalancer("web", "203.0.113.1", "::ffff:203.0.113.1", "LB.Example.com", "lb.example.com.", "bad_host")
	lb.Spec.ClusterIPs = []string{"10.0.0.1", "fd00::1"}
	lb.Annotations = map[string]string{AnnotationMinReady: "2", AnnotationScope: "galaxy", "other": "x"}
	obj, _ := (&Cluster{}).toService(lb)
	got := obj.(*service)
	want := &service{
		objectMeta:   objectMeta{name: "web", namespace: "ns"},
		kind:         ClusterIP,
		loadBalancer: true,
		clusterIPs:   []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
		ingress:      []netip.Addr{netip.MustParseAddr("203.0.113.1")},
		hostnames:    []string{"lb.example.com."},
		policy:       Policy{MinReady: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expected %+v, got %+v", want, got)
	}
	// Only a LoadBalancer's ingress is kept.
	np := lb.DeepCopy()
	np.Spec.Type = corev1.ServiceTypeNodePort
	obj, _ = (&Cluster{}).toService(np)
	if s := obj.(*service); s.loadBalancer || s.ingress != nil || s.hostnames != nil {
		t.Errorf("Expected no ingress of a NodePort service, got %+v", s)
	}
	// Other objects pass through: the informer hands deletions it missed
	// as DeletedFinalStateUnknown.
	gone := cache.DeletedFinalStateUnknown{Key: "ns/web"}
	if obj, _ := (&Cluster{}).toService(gone); obj != gone {
		t.Errorf("Expected the tombstone unchanged, got %v", obj)
	}
}

// TestToNode: a Node, read in full or by metadata, keeps its topology or
// why its labels are not valid.
func TestToNode(t *testing.T) {
	obj, _ := toNode(labelledNode("n1", "z1", "r1"))
	if n := obj.(*node); n.name != "n1" || n.topo != (Topology{Zone: "z1", Region: "r1"}) || n.err != nil {
		t.Errorf("Expected n1 in z1/r1, got %+v", n)
	}
	obj, _ = toNode(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "n2", Labels: map[string]string{"topology.kubernetes.io/zone": "bad.zone"}}})
	if n := obj.(*node); n.name != "n2" || n.err == nil {
		t.Errorf("Expected n2 with an error, got %+v", n)
	}
}

// TestToEndpointSliceFamilies: readiness is counted per address type, and
// addresses are parsed for every type but FQDN, known or not.
func TestToEndpointSliceFamilies(t *testing.T) {
	tests := []struct {
		addressType discoveryv1.AddressType
		addr        string
		family      family
		addrs       int
	}{
		{discoveryv1.AddressTypeIPv4, "10.1.0.1", familyIPv4, 1},
		{discoveryv1.AddressTypeIPv6, "fd00::1", familyIPv6, 1},
		{discoveryv1.AddressTypeFQDN, "a.example.org", familyOther, 0},
		{"", "10.1.0.1", familyOther, 1},
	}
	for i, tc := range tests {
		obj, _ := toEndpointSlice(slice(tc.addressType, endpoint(tc.addr, nil, nil)))
		got := obj.(*endpointSlice)
		if got.family != tc.family || got.ready != 1 || len(got.addrs) != tc.addrs {
			t.Errorf("Test %d: expected family %d, 1 ready, %d addresses, got %d %d %v", i, tc.family, tc.addrs, got.family, got.ready, got.addrs)
		}
	}
	if keys, err := sliceServiceKey(mustEndpointSlice(t, slice(discoveryv1.AddressTypeIPv4))); err != nil || keys != nil {
		t.Errorf("Expected no index key for a slice without a service, got %v (%v)", keys, err)
	}
}

func mustEndpointSlice(t *testing.T, es *discoveryv1.EndpointSlice) *endpointSlice {
	t.Helper()
	obj, err := toEndpointSlice(es)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*endpointSlice)
}

// TestToServiceKinds: ExternalName and headless Services keep what their
// answers need and no cluster IP; a copy shares nothing.
func TestToServiceKinds(t *testing.T) {
	c := &Cluster{}
	obj, _ := c.toService(&corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.org"}})
	if s := obj.(*service); s.kind != ExternalName || s.externalName != "db.example.org" || s.clusterIPs != nil {
		t.Errorf("Expected an ExternalName service, got %+v", s)
	}
	obj, _ = c.toService(&corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, ClusterIPs: []string{corev1.ClusterIPNone}}})
	if s := obj.(*service); s.kind != Headless || s.clusterIPs != nil {
		t.Errorf("Expected a headless service, got %+v", s)
	}
	lb := loadBalancer("web", "203.0.113.1", "lb.example.com")
	lb.Annotations = map[string]string{AnnotationPreferRegions: "r1,r2"}
	obj, _ = c.toService(lb)
	orig := obj.(*service)
	cp := orig.DeepCopyObject().(*service)
	if !reflect.DeepEqual(cp, orig) {
		t.Fatalf("Expected an equal copy, got %+v", cp)
	}
	cp.ingress[0], cp.hostnames[0], cp.policy.PreferRegions[0] = netip.MustParseAddr("192.0.2.1"), "x.", "x"
	if orig.ingress[0] == cp.ingress[0] || orig.hostnames[0] == "x." || orig.policy.PreferRegions[0] == "x" {
		t.Errorf("Expected a deep copy, got shared slices: %+v", orig)
	}
}

// TestToExport: a ServiceExport keeps its key; objects of other types
// pass every transform unchanged.
func TestToExport(t *testing.T) {
	obj, _ := toExport(serviceExport("ns", "web"))
	if key, err := cache.MetaNamespaceKeyFunc(obj); err != nil || key != "ns/web" {
		t.Errorf("Expected the key ns/web, got %q (%v)", key, err)
	}
	gone := cache.DeletedFinalStateUnknown{Key: "ns/web"}
	for name, transform := range map[string]cache.TransformFunc{"slice": toEndpointSlice, "node": toNode, "export": toExport} {
		if obj, err := transform(gone); err != nil || obj != gone {
			t.Errorf("%s: expected the tombstone unchanged, got %v (%v)", name, obj, err)
		}
	}
}
