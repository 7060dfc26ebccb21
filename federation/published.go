package federation

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PublishedShard returns the cluster's shard of the service namespace/name
// when it is published (SPEC 4.2): a LoadBalancer Service with ingress (IPs
// or hostnames) and ready endpoints. Its zones are those of its ready endpoints (their zone,
// else their node's zone label), its region the region label of those nodes,
// else of any node of the cluster.
// Results are remembered until the next change of the cluster's objects.
// The returned slices are shared: do not modify them.
func (c *Cluster) PublishedShard(namespace, name string) (PublishedShard, bool) {
	s, ok, _ := c.Published(namespace, name)
	return s, ok
}

// Published is PublishedShard with the scope annotation of the Service
// (SPEC 10), whatever its health: a shard's scope counts even while the
// shard fails over. One lookup gives both, so the query path pays for one.
func (c *Cluster) Published(namespace, name string) (PublishedShard, bool, Level) {
	key := namespace + "/" + name
	gen, e, hit := c.published.get(key)
	if hit {
		return e.shard, e.ok, e.scope
	}
	svc := c.Service(namespace, name)
	if !c.exported(namespace, name) {
		svc = nil
	}
	s, ok := c.publishedShard(svc)
	var scope Level
	if svc != nil && len(svc.Annotations) > 0 {
		p, _ := ParsePolicy(svc.Annotations)
		scope = p.Scope
	}
	if svc != nil { // only existing services, so asking cannot grow the memo
		c.published.put(gen, key, published{s, ok, scope})
	}
	return s, ok, scope
}

type published struct {
	shard PublishedShard
	ok    bool
	scope Level
}

func (c *Cluster) publishedShard(svc *corev1.Service) (PublishedShard, bool) {
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
	var policy Policy
	if len(svc.Annotations) > 0 {
		policy, _ = ParsePolicy(svc.Annotations) // the cache keeps valid values only
	}
	endpointSlices := c.EndpointSlices(svc.Namespace, svc.Name)
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
		if !c.exported(svc.Namespace, svc.Name) {
			continue
		}
		if s, ok := c.publishedShard(svc); ok {
			n++
			hostnames = append(hostnames, s.Hostnames...)
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
