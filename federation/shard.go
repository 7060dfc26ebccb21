package federation

import (
	"net/netip"
	"slices"

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
	// endpoint addresses of a headless one; shared with the cache: do not
	// modify them.
	Addresses []netip.Addr
	// ExternalName is the target of an ExternalName service.
	ExternalName string
	// Policy is the failover policy of the Service's annotations.
	Policy Policy
}

// newShard computes a shard from a cached Service (nil when it does not
// exist) and the EndpointSlices that name it (SPEC 2.1 to 2.3). A min-ready
// annotation raises the ready endpoints it needs to be healthy (SPEC 10).
func newShard(svc *service, slices []*endpointSlice) Shard {
	if svc == nil {
		return Shard{Kind: Missing}
	}
	switch svc.kind {
	case ExternalName:
		return Shard{Kind: ExternalName, Healthy: true, ExternalName: svc.externalName, Policy: svc.policy}
	case Headless:
		addrs := readyAddresses(slices)
		return Shard{Kind: Headless, Healthy: len(addrs) > 0 && readyEndpoints(slices) >= max(1, svc.policy.MinReady), Addresses: addrs, Policy: svc.policy}
	}
	return Shard{Kind: ClusterIP, Healthy: readyEndpoints(slices) >= max(1, svc.policy.MinReady), Addresses: svc.clusterIPs, Policy: svc.policy}
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
func readyEndpoints(slices []*endpointSlice) int {
	var n [3]int
	for _, s := range slices {
		n[s.family] += s.ready
	}
	return max(n[familyIPv4], n[familyIPv6], n[familyOther])
}

// readyAddresses returns the distinct IP addresses of ready endpoints,
// sorted (IPv4 first): the cache lists the slices in no fixed order.
func readyAddresses(endpointSlices []*endpointSlice) []netip.Addr {
	n := 0
	for _, s := range endpointSlices {
		n += len(s.addrs)
	}
	if n == 0 {
		return nil
	}
	addrs := make([]netip.Addr, 0, n)
	for _, s := range endpointSlices {
		addrs = append(addrs, s.addrs...)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Clip(slices.Compact(addrs)) // shared with the cache: an append copies
}
