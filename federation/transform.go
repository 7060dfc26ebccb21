package federation

import (
	"net/netip"
	"slices"
	"unique"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The informers' transforms: each turns an API object into the compact
// type the cache keeps (object.go) before it enters the cache. Objects of
// another type (cache.DeletedFinalStateUnknown) pass through unchanged.

func (c *Cluster) toService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	svc := &service{objectMeta: newObjectMeta(s), kind: ClusterIP}
	svc.policy, _ = ParsePolicy(c.policyAnnotations(s))
	svc.ports = servicePorts(s.Spec.Ports)
	if td := s.Spec.TrafficDistribution; td != nil {
		svc.sameZone = *td == corev1.ServiceTrafficDistributionPreferSameZone || *td == corev1.ServiceTrafficDistributionPreferClose
	}
	switch {
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		svc.kind, svc.externalName = ExternalName, s.Spec.ExternalName
		return svc, nil
	case s.Spec.ClusterIP == corev1.ClusterIPNone:
		svc.kind = Headless
	default:
		svc.clusterIPs = clusterIPs(s.Spec)
	}
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return svc, nil
	}
	svc.loadBalancer = true
	for _, in := range s.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil && !slices.Contains(svc.ingress, ip.Unmap()) {
			svc.ingress = append(svc.ingress, ip.Unmap())
		}
		if h, ok := hostname(in.Hostname); ok && !slices.Contains(svc.hostnames, h) {
			svc.hostnames = append(svc.hostnames, h)
		}
	}
	// Shared by every published shard of the Service: an append copies.
	svc.ingress, svc.hostnames = slices.Clip(svc.ingress), slices.Clip(svc.hostnames)
	return svc, nil
}

// clusterIPs parses the cluster IPs of a Service, from ClusterIP when
// ClusterIPs is empty (older objects).
func clusterIPs(spec corev1.ServiceSpec) []netip.Addr {
	ips := spec.ClusterIPs
	if len(ips) == 0 && spec.ClusterIP != "" {
		ips = []string{spec.ClusterIP}
	}
	addrs := make([]netip.Addr, 0, len(ips))
	for _, a := range ips {
		if ip, err := netip.ParseAddr(a); err == nil {
			addrs = append(addrs, ip.Unmap())
		}
	}
	return slices.Clip(addrs) // shared by every shard of the Service: an append copies
}

// policyAnnotations returns the failover annotations of svc whose values
// parse (SPEC 10), nil without any. A value that does not parse is logged
// once and left out, so the default applies.
func (c *Cluster) policyAnnotations(svc *corev1.Service) map[string]string {
	var kept map[string]string
	for _, key := range []string{AnnotationMinReady, AnnotationPreferRegions, AnnotationScope} {
		v, ok := svc.Annotations[key]
		if !ok {
			continue
		}
		if _, errs := ParsePolicy(map[string]string{key: v}); len(errs) > 0 {
			c.badAnnotations.Warningf(svc.Namespace+"/"+svc.Name+"/"+key,
				"cluster %s, service %s/%s: %v; the default applies", c.name, svc.Namespace, svc.Name, errs[0])
			continue
		}
		if kept == nil {
			kept = map[string]string{}
		}
		kept[key] = v
	}
	return kept
}

// toSlice is toEndpointSlice for this cluster: the hostnames and ports of
// endpoints are kept only while their Service is headless or not known
// yet; a ClusterIP Service's endpoints have no names in DNS (SPEC 12).
func (c *Cluster) toSlice(obj any) (any, error) {
	obj, err := toEndpointSlice(obj)
	if es, ok := obj.(*endpointSlice); ok && (es.hosts != nil || es.ports != nil) {
		if svc := c.service(es.namespace, es.service); svc != nil && svc.kind != Headless {
			es.hosts, es.ports = nil, nil // a ClusterIP Service's SRV records use its own ports
		}
	}
	return obj, err
}

func toEndpointSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	es := &endpointSlice{objectMeta: newObjectMeta(s), service: s.Labels[discoveryv1.LabelServiceName], ports: slicePorts(s.Ports)}
	named := false
	switch s.AddressType {
	case discoveryv1.AddressTypeIPv4:
		es.family = familyIPv4
	case discoveryv1.AddressTypeIPv6:
		es.family = familyIPv6
	default:
		es.family = familyOther
	}
	for _, e := range s.Endpoints {
		if !EndpointReady(e.Conditions) || len(e.Addresses) == 0 {
			continue
		}
		es.ready++
		var p place
		if e.NodeName != nil {
			p.node = intern(*e.NodeName)
		}
		if e.Zone != nil && IsDNS1123Label(*e.Zone) {
			p.zone = intern(*e.Zone)
		}
		if s.AddressType != discoveryv1.AddressTypeFQDN {
			for _, a := range e.Addresses {
				if ip, err := netip.ParseAddr(a); err == nil && !slices.Contains(es.addrs, ip.Unmap()) {
					es.addrs = append(es.addrs, ip.Unmap())
					es.zones = append(es.zones, p.zone)
					host := ""
					if e.Hostname != nil && IsDNS1123Label(*e.Hostname) {
						host, named = *e.Hostname, true
					}
					es.hosts = append(es.hosts, host)
				}
			}
		}
		if !slices.Contains(es.places, p) {
			es.places = append(es.places, p)
		}
	}
	if !named {
		es.hosts = nil // every name is the dashed address: nothing to keep
	}
	return es, nil
}

// toNode keeps of a Node, read in full or by its metadata, its name and
// topology.
func toNode(obj any) (any, error) {
	var meta metav1.ObjectMeta
	switch n := obj.(type) {
	case *corev1.Node:
		meta = n.ObjectMeta
	case *metav1.PartialObjectMetadata:
		meta = n.ObjectMeta
	default:
		return obj, nil
	}
	n := &node{objectMeta: newObjectMeta(&meta)}
	n.topo, n.err = TopologyFromLabels(meta.Labels)
	// Thousands of Nodes share a few zones: one copy of each name.
	n.topo.Zone, n.topo.Region = unique.Make(n.topo.Zone).Value(), unique.Make(n.topo.Region).Value()
	if full, ok := obj.(*corev1.Node); ok {
		n.addrs = nodeAddresses(full)
	}
	return n, nil
}

// nodeAddresses reads the addresses that map a client to node n: its pod
// ranges (spec.podCIDRs, else the older spec.podCIDR) and InternalIPs.
// Values that do not parse are left out.
func nodeAddresses(n *corev1.Node) nodeAddrs {
	var a nodeAddrs
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			a.podCIDRs = append(a.podCIDRs, p.Masked())
		}
	}
	for _, addr := range n.Status.Addresses {
		if addr.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(addr.Address); err == nil {
			a.internalIPs = append(a.internalIPs, ip.Unmap())
		}
	}
	return a
}

// toExport keeps of a ServiceExport its namespace and name.
func toExport(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	return &export{objectMeta: newObjectMeta(m)}, nil
}
