package federation

import (
	"net/netip"
	"slices"
	"strings"
	"unique"

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
	// SameZone: a headless Service whose trafficDistribution prefers the
	// client's zone (SPEC 5.3); zones holds the zone of each of Addresses.
	SameZone bool
	zones    []unique.Handle[string]
	// hosts holds the hostname of each of Addresses of a headless Service
	// whose endpoints have any ("": none); nil when none has one.
	hosts []string
	// Ports are the Service's ports (its endpoints' for a headless one).
	Ports []Port
	// eports holds the ports of each of Addresses of a headless Service:
	// those of its EndpointSlice, which may differ between slices.
	eports [][]Port
}

// PortsOf returns the ports of the endpoint at Addresses[i]: its slice's
// for a headless Service, else the Service's.
func (s Shard) PortsOf(i int) []Port {
	if i < len(s.eports) {
		return s.eports[i]
	}
	return s.Ports
}

// Hostname returns the name of the endpoint at Addresses[i] (SPEC 12):
// its hostname, else its address with dashes, as CoreDNS's kubernetes
// plugin names it.
func (s Shard) Hostname(i int) string {
	if i < len(s.hosts) && s.hosts[i] != "" {
		return s.hosts[i]
	}
	return dashed(s.Addresses[i])
}

// Zone returns the zone of the endpoint at Addresses[i], "" when unknown.
func (s Shard) Zone(i int) string {
	if i < len(s.zones) {
		return text(s.zones[i])
	}
	return ""
}

// dashed is an address written as one DNS label.
func dashed(a netip.Addr) string {
	if a.Is4() {
		return strings.ReplaceAll(a.String(), ".", "-")
	}
	d := strings.ReplaceAll(a.String(), ":", "-")
	if strings.HasSuffix(d, "-") {
		d += "0"
	}
	return d
}

// AddressesIn returns the addresses to answer a client in zone with, for
// a question of one family (IPv6 or not): those of zone and that family
// for a headless Service whose trafficDistribution prefers the client's
// zone, when it has any, else all of them, as kube-proxy routes (SPEC 5.3).
func (s Shard) AddressesIn(zone string, v6 bool) []netip.Addr {
	if !s.SameZone || zone == "" || len(s.zones) != len(s.Addresses) {
		return s.Addresses
	}
	want := unique.Make(zone)
	var in []netip.Addr
	for i, z := range s.zones {
		if a := s.Addresses[i]; z == want && a.Is6() == v6 {
			in = append(in, a)
		}
	}
	if len(in) == 0 {
		return s.Addresses
	}
	return in
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
		addrs, zones, hosts, eports := readyAddresses(slices)
		var ports [][]Port
		for _, s := range slices {
			ports = append(ports, s.ports)
		}
		return Shard{Kind: Headless, Healthy: len(addrs) > 0 && readyEndpoints(slices) >= max(1, svc.policy.MinReady), Addresses: addrs, Policy: svc.policy, SameZone: svc.sameZone,
			zones: zones, hosts: hosts, Ports: MergePorts(ports...), eports: eports}
	}
	return Shard{Kind: ClusterIP, Healthy: readyEndpoints(slices) >= max(1, svc.policy.MinReady), Addresses: svc.clusterIPs, Policy: svc.policy, Ports: svc.ports}
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
// sorted (IPv4 first): the cache lists the slices in no fixed order; and
// the zone and hostname of each (of its first endpoint, should two slices
// list it), the hostnames nil when no endpoint has one, and the ports of
// its slice.
func readyAddresses(endpointSlices []*endpointSlice) ([]netip.Addr, []unique.Handle[string], []string, [][]Port) {
	n, named := 0, false
	for _, s := range endpointSlices {
		n += len(s.addrs)
		named = named || s.hosts != nil
	}
	if n == 0 {
		return nil, nil, nil, nil
	}
	type endpoint struct {
		addr  netip.Addr
		zone  unique.Handle[string]
		host  string
		ports []Port
	}
	all := make([]endpoint, 0, n)
	for _, s := range endpointSlices {
		for i, a := range s.addrs {
			e := endpoint{addr: a, ports: s.ports}
			if i < len(s.zones) {
				e.zone = s.zones[i]
			}
			if i < len(s.hosts) {
				e.host = s.hosts[i]
			}
			all = append(all, e)
		}
	}
	slices.SortStableFunc(all, func(a, b endpoint) int { return a.addr.Compare(b.addr) })
	all = slices.CompactFunc(all, func(a, b endpoint) bool { return a.addr == b.addr })
	addrs, zones, ports := make([]netip.Addr, len(all)), make([]unique.Handle[string], len(all)), make([][]Port, len(all))
	var hosts []string
	if named {
		hosts = make([]string, len(all))
	}
	for i, e := range all {
		addrs[i], zones[i], ports[i] = e.addr, e.zone, e.ports
		if named {
			hosts[i] = e.host
		}
	}
	return addrs, zones, hosts, ports
}
