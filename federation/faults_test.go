package federation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// TestMinReadyCountsADualStackPodOnce: a dual-stack pod is listed once in
// its Service's IPv4 EndpointSlice and once in its IPv6 one, and counts as
// one ready endpoint toward federated-dns.io/min-ready, for the local
// shard's health and for its publication alike (SPEC 2.1, 10).
func TestMinReadyCountsADualStackPodOnce(t *testing.T) {
	lb := loadBalancer("web", "203.0.113.1")
	lb.Spec.ClusterIPs = []string{"10.0.0.1", "fd00::1"}
	lb.Annotations = map[string]string{AnnotationMinReady: "2"}
	headless := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}
	headless.Annotations = map[string]string{AnnotationMinReady: "2"}
	// pods returns the slices of n dual-stack pods: one IPv4 and one IPv6
	// slice, each listing every pod once.
	pods := func(n int) []*endpointSlice {
		v4 := slice(discoveryv1.AddressTypeIPv4)
		v6 := slice(discoveryv1.AddressTypeIPv6)
		for _, a := range [][2]string{{"10.1.0.1", "fd00::10"}, {"10.1.0.2", "fd00::20"}}[:n] {
			v4.Endpoints = append(v4.Endpoints, endpoint(a[0], new(true), nil))
			v6.Endpoints = append(v6.Endpoints, endpoint(a[1], new(true), nil))
		}
		return cachedSlices(v4, v6)
	}
	c := &Cluster{name: "test"}
	for _, tc := range []struct {
		pods int
		want bool
	}{{1, false}, {2, true}} {
		if got := newShard(cachedService(lb), pods(tc.pods)).Healthy; got != tc.want {
			t.Errorf("Expected a ClusterIP shard of %d dual-stack pods with min-ready 2 healthy %v, got %v", tc.pods, tc.want, got)
		}
		if got := newShard(cachedService(headless), pods(tc.pods)).Healthy; got != tc.want {
			t.Errorf("Expected a headless shard of %d dual-stack pods with min-ready 2 healthy %v, got %v", tc.pods, tc.want, got)
		}
		if _, got := c.publishedShard(cachedService(lb), pods(tc.pods)); got != tc.want {
			t.Errorf("Expected a shard of %d dual-stack pods with min-ready 2 published %v, got %v", tc.pods, tc.want, got)
		}
	}
}
