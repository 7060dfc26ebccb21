package federation

import (
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func endpoint(addr string, ready, terminating *bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ready, Terminating: terminating}}
}

func slice(t discoveryv1.AddressType, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{AddressType: t, Endpoints: eps}
}

func TestEndpointReady(t *testing.T) {
	tests := []struct {
		ready, terminating *bool
		want               bool
	}{
		{new(true), nil, true},
		{new(false), nil, false},
		{nil, nil, true},
		{nil, new(false), true},
		{nil, new(true), false},
		{new(false), new(true), false},
	}
	for i, tc := range tests {
		if got := EndpointReady(discoveryv1.EndpointConditions{Ready: tc.ready, Terminating: tc.terminating}); got != tc.want {
			t.Errorf("Test %d: expected %v, got %v", i, tc.want, got)
		}
	}
}

// cachedService is svc as the cache keeps it, nil for nil.
func cachedService(svc *corev1.Service) *service {
	if svc == nil {
		return nil
	}
	obj, _ := (&Cluster{}).toService(svc)
	return obj.(*service)
}

// cachedSlices are slices as the cache keeps them.
func cachedSlices(slices ...*discoveryv1.EndpointSlice) []*endpointSlice {
	cached := make([]*endpointSlice, 0, len(slices))
	for _, s := range slices {
		obj, _ := toEndpointSlice(s)
		cached = append(cached, obj.(*endpointSlice))
	}
	return cached
}

func TestNewShard(t *testing.T) {
	clusterIP := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}}}
	headless := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}
	external := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.org"}}
	readyV4 := slice(discoveryv1.AddressTypeIPv4, endpoint("10.1.0.1", new(true), nil), endpoint("10.1.0.2", new(false), nil), endpoint("10.1.0.1", nil, nil))
	notReady := slice(discoveryv1.AddressTypeIPv4, endpoint("10.1.0.3", new(false), nil), endpoint("10.1.0.4", nil, new(true)))
	readyV6 := slice(discoveryv1.AddressTypeIPv6, endpoint("fd00::10", nil, nil))
	fqdn := slice(discoveryv1.AddressTypeFQDN, endpoint("a.example.org", new(true), nil))

	tests := []struct {
		svc     *corev1.Service
		slices  []*discoveryv1.EndpointSlice
		kind    Kind
		healthy bool
		addrs   []string
	}{
		{nil, []*discoveryv1.EndpointSlice{readyV4}, Missing, false, nil},
		{clusterIP, nil, ClusterIP, false, []string{"10.0.0.1", "fd00::1"}},
		{clusterIP, []*discoveryv1.EndpointSlice{notReady}, ClusterIP, false, []string{"10.0.0.1", "fd00::1"}},
		{clusterIP, []*discoveryv1.EndpointSlice{notReady, readyV4}, ClusterIP, true, []string{"10.0.0.1", "fd00::1"}},
		{headless, []*discoveryv1.EndpointSlice{notReady}, Headless, false, nil},
		{headless, []*discoveryv1.EndpointSlice{readyV4, readyV6, fqdn}, Headless, true, []string{"10.1.0.1", "fd00::10"}},
		{external, nil, ExternalName, true, nil},
	}
	for i, tc := range tests {
		s := newShard(cachedService(tc.svc), cachedSlices(tc.slices...))
		var addrs []string
		for _, a := range s.Addresses {
			addrs = append(addrs, a.String())
		}
		if s.Kind != tc.kind || s.Healthy != tc.healthy || !slices.Equal(addrs, tc.addrs) {
			t.Errorf("Test %d: expected kind %d healthy %v %v, got %d %v %v", i, tc.kind, tc.healthy, tc.addrs, s.Kind, s.Healthy, addrs)
		}
	}
	if s := newShard(cachedService(external), nil); s.ExternalName != "db.example.org" {
		t.Errorf("Expected external name db.example.org, got %q", s.ExternalName)
	}
	// A ClusterIP service without the ClusterIPs list (older objects).
	old := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.9"}}
	if s := newShard(cachedService(old), nil); len(s.Addresses) != 1 || s.Addresses[0] != netip.MustParseAddr("10.0.0.9") {
		t.Errorf("Expected 10.0.0.9, got %v", s.Addresses)
	}
}

func TestTopologyFromLabels(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   Topology
		err    bool
	}{
		{map[string]string{"topology.kubernetes.io/zone": "us-central1-b", "topology.kubernetes.io/region": "us-central1"}, Topology{"us-central1-b", "us-central1"}, false},
		{map[string]string{"failure-domain.beta.kubernetes.io/zone": "Z1", "failure-domain.beta.kubernetes.io/region": "r1"}, Topology{"z1", "r1"}, false},
		{map[string]string{"topology.kubernetes.io/zone": "new", "failure-domain.beta.kubernetes.io/zone": "old"}, Topology{Zone: "new"}, false},
		{map[string]string{}, Topology{}, false},
		{map[string]string{"topology.kubernetes.io/zone": "bad.zone"}, Topology{}, true},
		{map[string]string{"topology.kubernetes.io/region": "bad_region"}, Topology{}, true},
		// A bad label costs only itself.
		{map[string]string{"topology.kubernetes.io/zone": "rack_1", "topology.kubernetes.io/region": "r1"}, Topology{Region: "r1"}, true},
	}
	for i, tc := range tests {
		got, err := TopologyFromLabels(tc.labels)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Test %d: expected %+v (error %v), got %+v (%v)", i, tc.want, tc.err, got, err)
		}
	}
}
