package federation

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Kind is how a Service is answered.
type Kind int

const (
	// Missing is a Service that does not exist.
	Missing Kind = iota
	// ClusterIP is answered with the Service's cluster IPs.
	ClusterIP
	// Headless (clusterIP: None) is answered with its ready endpoint addresses.
	Headless
	// ExternalName is answered with a CNAME to its external name.
	ExternalName
)

// Shard is the local cluster's view of one federated service: the Service of
// the same name and namespace, and whether it has ready endpoints.
type Shard struct {
	Kind    Kind
	Healthy bool
	// Addresses are the cluster IPs of a ClusterIP service, or the ready
	// endpoint addresses of a headless one.
	Addresses []netip.Addr
	// ExternalName is the target of an ExternalName service.
	ExternalName string
	// Policy is the failover policy of the Service's annotations.
	Policy Policy
}

// NewShard computes a shard from a Service (nil when it does not exist) and
// the EndpointSlices that name it (SPEC 2.1 to 2.3).
// A min-ready annotation raises the ready endpoints it needs to be healthy
// (SPEC 10).
func NewShard(svc *corev1.Service, slices []*discoveryv1.EndpointSlice) Shard {
	if svc == nil {
		return Shard{Kind: Missing}
	}
	var policy Policy
	if len(svc.Annotations) > 0 {
		policy, _ = ParsePolicy(svc.Annotations) // the cache keeps valid values only
	}
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return Shard{Kind: ExternalName, Healthy: true, ExternalName: svc.Spec.ExternalName, Policy: policy}
	case svc.Spec.ClusterIP == corev1.ClusterIPNone:
		addrs := readyAddresses(slices)
		return Shard{Kind: Headless, Healthy: len(addrs) > 0 && readyEndpoints(slices) >= max(1, policy.MinReady), Addresses: addrs, Policy: policy}
	}
	return Shard{Kind: ClusterIP, Healthy: readyEndpoints(slices) >= max(1, policy.MinReady), Addresses: clusterIPs(svc), Policy: policy}
}

// EndpointReady is the readiness rule of SPEC 2.1: the ready condition is
// true, or unset while terminating is not true.
func EndpointReady(c discoveryv1.EndpointConditions) bool {
	if c.Ready != nil {
		return *c.Ready
	}
	return c.Terminating == nil || !*c.Terminating
}

// readyEndpoints counts the ready endpoints that have an address, in the
// address family that has most: a dual-stack service lists each pod once
// per family, and a pod counts once.
func readyEndpoints(slices []*discoveryv1.EndpointSlice) int {
	var v4, v6, other int
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if !EndpointReady(e.Conditions) || len(e.Addresses) == 0 {
				continue
			}
			switch s.AddressType {
			case discoveryv1.AddressTypeIPv4:
				v4++
			case discoveryv1.AddressTypeIPv6:
				v6++
			default:
				other++
			}
		}
	}
	return max(v4, v6, other)
}

// readyAddresses returns the distinct IP addresses of ready endpoints in the
// order the slices list them.
func readyAddresses(slices []*discoveryv1.EndpointSlice) []netip.Addr {
	var addrs []netip.Addr
	for _, s := range slices {
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, e := range s.Endpoints {
			if !EndpointReady(e.Conditions) {
				continue
			}
			for _, a := range e.Addresses {
				ip, err := netip.ParseAddr(a)
				if err != nil || containsAddr(addrs, ip) {
					continue
				}
				addrs = append(addrs, ip.Unmap())
			}
		}
	}
	return addrs
}

func clusterIPs(svc *corev1.Service) []netip.Addr {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	addrs := make([]netip.Addr, 0, len(ips))
	for _, a := range ips {
		if ip, err := netip.ParseAddr(a); err == nil {
			addrs = append(addrs, ip.Unmap())
		}
	}
	return addrs
}

func containsAddr(addrs []netip.Addr, ip netip.Addr) bool {
	for _, a := range addrs {
		if a == ip.Unmap() {
			return true
		}
	}
	return false
}
