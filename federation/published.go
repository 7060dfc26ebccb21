package federation

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PublishedShard returns the cluster's shard of the service namespace/name
// when it is published (SPEC 4.2): a LoadBalancer Service with ingress (IPs
// or hostnames) and ready endpoints. Its zones are those of its ready
// endpoints (their zone, else their node's zone label), its region the
// region label of those nodes, else of any node of the cluster. The
// returned slices are shared: do not modify them.
func (c *Cluster) PublishedShard(namespace, name string) (PublishedShard, bool) {
	v := c.view(namespace, name)
	return v.published, v.ok
}

// Published is PublishedShard with the scope annotation of the Service
// (SPEC 10), whatever its health: a shard's scope counts even while the
// shard fails over.
func (c *Cluster) Published(namespace, name string) (PublishedShard, bool, Level) {
	v := c.view(namespace, name)
	return v.published, v.ok, v.shard.Policy.Scope
}

// publishedShard computes the published shard of svc, of policy, from its
// EndpointSlices.
func (c *Cluster) publishedShard(svc *corev1.Service, endpointSlices []*discoveryv1.EndpointSlice, policy Policy) (PublishedShard, bool) {
	if svc == nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return PublishedShard{}, false
	}
	s := PublishedShard{Cluster: c.name}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil && !slices.Contains(s.Ingress, ip.Unmap()) {
			s.Ingress = append(s.Ingress, ip.Unmap())
		}
		if h, ok := hostname(in.Hostname); ok && !slices.Contains(s.Hostnames, h) {
			s.Hostnames = append(s.Hostnames, h)
		}
	}
	if len(s.Ingress) == 0 && len(s.Hostnames) == 0 {
		return PublishedShard{}, false
	}
	for _, es := range endpointSlices {
		for _, e := range es.Endpoints {
			if !EndpointReady(e.Conditions) || len(e.Addresses) == 0 {
				continue
			}
			var topo Topology
			if e.NodeName != nil {
				if n := c.node(*e.NodeName); n != nil {
					topo, _ = TopologyFromLabels(n.Labels)
				}
			}
			if e.Zone != nil && IsDNS1123Label(*e.Zone) {
				topo.Zone = *e.Zone
			}
			if topo.Zone != "" && !slices.Contains(s.Zones, topo.Zone) {
				s.Zones = append(s.Zones, topo.Zone)
			}
			if s.Region == "" {
				s.Region = topo.Region
			}
		}
	}
	if readyEndpoints(endpointSlices) < max(1, policy.MinReady) {
		return PublishedShard{}, false // below its min-ready (SPEC 10)
	}
	if s.Region == "" {
		s.Region = c.anyRegion()
	}
	return s, true
}

// anyRegion returns the region label of some node of the cluster, for
// endpoints that name no node.
func (c *Cluster) anyRegion() string {
	if c.nodes == nil {
		return ""
	}
	for _, obj := range c.nodes.GetStore().List() {
		n, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			continue
		}
		if t, err := TopologyFromLabels(n.Labels); err == nil && t.Region != "" {
			return t.Region
		}
	}
	return ""
}

// CountPublished counts the cluster's published shards, over all services,
// and returns the ingress hostnames among them.
func (c *Cluster) CountPublished() (n int, hostnames []string) {
	for _, obj := range c.services.GetStore().List() {
		svc := obj.(*corev1.Service)
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue // never published: spare the lookups
		}
		if v := c.view(svc.Namespace, svc.Name); v.ok {
			n++
			hostnames = append(hostnames, v.published.Hostnames...)
		}
	}
	return n, hostnames
}

// hostname returns an ingress hostname lower-case and fully qualified, and
// whether it is a hostname of DNS-1123 labels.
func hostname(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if s == "" || len(s) > 253 {
		return "", false
	}
	for l := range strings.SplitSeq(s, ".") {
		if !IsDNS1123Label(l) {
			return "", false
		}
	}
	return s + ".", true
}
