package federation

import (
	"slices"
	"strings"
)

// PublishedShard returns the cluster's shard of the service namespace/name
// when it is published (SPEC 4.2): a LoadBalancer Service with ingress (IPs
// or hostnames) and ready endpoints. Its zones are those of its ready
// endpoints (their zone, else their node's zone label), its region the
// region label of those nodes, else of any node of the cluster. The
// returned slices are shared: do not modify them.
func (c *Cluster) PublishedShard(namespace, name string) (PublishedShard, bool) {
	v := c.View(namespace, name)
	return v.Published, v.IsPublished
}

// publishedShard computes the published shard of svc from its
// EndpointSlices.
func (c *Cluster) publishedShard(svc *service, endpointSlices []*endpointSlice) (PublishedShard, bool) {
	if svc == nil || !svc.loadBalancer || (len(svc.ingress) == 0 && len(svc.hostnames) == 0) {
		return PublishedShard{}, false
	}
	if readyEndpoints(endpointSlices) < max(1, svc.policy.MinReady) {
		return PublishedShard{}, false // below its min-ready (SPEC 10)
	}
	s := PublishedShard{Cluster: c.name, Ingress: svc.ingress, Hostnames: svc.hostnames, Ports: svc.ports}
	s.Zones, s.Region = c.place(endpointSlices)
	return s, true
}

// place returns the zones of the ready endpoints of endpointSlices (their
// zone, else their node's zone label) and the region label of their nodes,
// else of any node of the cluster.
func (c *Cluster) place(endpointSlices []*endpointSlice) (zones []string, region string) {
	for _, es := range endpointSlices {
		for _, p := range es.places {
			var topo Topology
			if n := c.node(text(p.node)); n != nil {
				topo = n.topo // its valid labels
			}
			if z := text(p.zone); z != "" {
				topo.Zone = z
			}
			if topo.Zone != "" && !slices.Contains(zones, topo.Zone) {
				zones = append(zones, topo.Zone)
			}
			if region == "" {
				region = topo.Region
			}
		}
	}
	if region == "" {
		region = c.anyRegion()
	}
	return zones, region
}

// anyRegion returns the region label of some node of the cluster, for
// endpoints that name no node.
func (c *Cluster) anyRegion() string {
	if c.nodes == nil {
		return ""
	}
	for _, obj := range c.nodes.GetStore().List() {
		if n, ok := obj.(*node); ok && n.topo.Region != "" {
			return n.topo.Region
		}
	}
	return ""
}

// CountPublished counts the cluster's published shards, over all services,
// that counts accepts (nil: all), and returns the ingress hostnames of
// every published shard, counted or not: a shard known only by a hostname
// counts once its name has resolved (SPEC 4.2.1).
func (c *Cluster) CountPublished(counts func(PublishedShard) bool) (n int, hostnames []string) {
	for _, obj := range c.services.GetStore().List() {
		svc, ok := obj.(*service)
		if !ok || !svc.loadBalancer {
			continue // never published: spare the lookups
		}
		if v := c.View(svc.namespace, svc.name); v.IsPublished {
			if counts == nil || counts(v.Published) {
				n++
			}
			hostnames = append(hostnames, v.Published.Hostnames...)
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

// ServiceKey names a Service by namespace and name.
type ServiceKey struct{ Namespace, Name string }

// PublishedServices returns the Services of the cluster that have a
// published shard (SPEC 4.2).
func (c *Cluster) PublishedServices() []ServiceKey {
	var keys []ServiceKey
	for _, obj := range c.services.GetStore().List() {
		svc, ok := obj.(*service)
		if ok && svc.loadBalancer && c.View(svc.namespace, svc.name).IsPublished {
			keys = append(keys, ServiceKey{svc.namespace, svc.name})
		}
	}
	return keys
}

// Places returns the distinct zones and regions of the cluster's watched
// Nodes with valid labels.
func (c *Cluster) Places() []Topology {
	if c.nodes == nil {
		return nil
	}
	var places []Topology
	for _, obj := range c.nodes.GetStore().List() {
		if n, ok := obj.(*node); ok && n.topo.Region != "" && !slices.Contains(places, n.topo) {
			places = append(places, n.topo)
		}
	}
	return places
}
