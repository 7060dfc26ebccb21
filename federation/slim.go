package federation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The informers keep only what answers need: these transforms run before an
// object enters a cache, so a cluster of many Services costs little memory.
// Objects that are not of the expected type (cache.DeletedFinalStateUnknown)
// pass through unchanged.

func slimMeta(m metav1.ObjectMeta, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, ResourceVersion: m.ResourceVersion, Labels: labels}
}

func (c *Cluster) slimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	var ingress []corev1.LoadBalancerIngress
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" || in.Hostname != "" {
			ingress = append(ingress, corev1.LoadBalancerIngress{IP: in.IP, Hostname: in.Hostname})
		}
	}
	meta := slimMeta(s.ObjectMeta, nil)
	meta.Annotations = c.policyAnnotations(s)
	return &corev1.Service{
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:         s.Spec.Type,
			ClusterIP:    s.Spec.ClusterIP,
			ClusterIPs:   s.Spec.ClusterIPs,
			ExternalName: s.Spec.ExternalName,
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ingress}},
	}, nil
}

// policyAnnotations returns the failover annotations of svc whose values
// parse (SPEC 10), nil without any: the cache keeps nothing else of the
// metadata. A value that does not parse is logged once and left out, so
// the default applies.
func (c *Cluster) policyAnnotations(svc *corev1.Service) map[string]string {
	var kept map[string]string
	for _, key := range []string{AnnotationMinReady, AnnotationPreferRegions, AnnotationScope} {
		v, ok := svc.Annotations[key]
		if !ok {
			continue
		}
		if _, errs := ParsePolicy(map[string]string{key: v}); len(errs) > 0 {
			c.badAnnotations.Warning(svc.Namespace+"/"+svc.Name+"/"+key,
				fmt.Sprintf("cluster %s, service %s/%s: %v; the default applies", c.name, svc.Namespace, svc.Name, errs[0]))
			continue
		}
		if kept == nil {
			kept = map[string]string{}
		}
		kept[key] = v
	}
	return kept
}

func slimEndpointSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	svc := s.Labels[discoveryv1.LabelServiceName]
	endpoints := make([]discoveryv1.Endpoint, len(s.Endpoints))
	for i, e := range s.Endpoints {
		endpoints[i] = discoveryv1.Endpoint{Addresses: e.Addresses, Conditions: e.Conditions, NodeName: e.NodeName, Zone: e.Zone}
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  slimMeta(s.ObjectMeta, map[string]string{discoveryv1.LabelServiceName: svc}),
		AddressType: s.AddressType,
		Endpoints:   endpoints,
	}, nil
}

// slimNode keeps of a Node, read in full or by its metadata, its name and
// topology labels, as metadata.
func slimNode(obj any) (any, error) {
	var meta metav1.ObjectMeta
	switch n := obj.(type) {
	case *corev1.Node:
		meta = n.ObjectMeta
	case *metav1.PartialObjectMetadata:
		meta = n.ObjectMeta
	default:
		return obj, nil
	}
	labels := map[string]string{}
	for _, k := range append(ZoneLabels, RegionLabels...) {
		if v, ok := meta.Labels[k]; ok {
			labels[k] = v
		}
	}
	return &metav1.PartialObjectMetadata{ObjectMeta: slimMeta(meta, labels)}, nil
}
