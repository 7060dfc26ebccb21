package testbed

import (
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Shard is a member cluster of the seed federation and its nginx shard.
type Shard struct {
	Cluster string
	Region  string
	Zone    string
	// Ingress is the LoadBalancer ingress IP of the cluster's nginx service.
	Ingress string
}

// SeedFederation is the four-cluster federation of the demo and the tests,
// named after Kubernetes 1.3's federation examples. Ingress addresses are
// documentation addresses (RFC 5737).
var SeedFederation = []Shard{
	{"gce-asia-east1", "asia-east1", "asia-east1-b", "203.0.113.10"},
	{"gce-europe-west1", "europe-west1", "europe-west1-b", "203.0.113.20"},
	{"gce-us-central1", "us-central1", "us-central1-b", "203.0.113.30"},
	{"gce-us-east1", "us-east1", "us-east1-b", "203.0.113.40"},
}

// Names of the seeded objects.
const (
	// SelectorLabel marks the seed's federated Services, as a platform
	// team would: the Corefile of the demo selects them.
	SelectorLabel = "federation.example.com/myfederation"
	Namespace     = "mynamespace"
	Service       = "nginx"
	Node          = "node-1"
)

// ClusterNames lists the clusters of shards.
func ClusterNames(shards []Shard) []string {
	names := make([]string, len(shards))
	for i, s := range shards {
		names[i] = s.Cluster
	}
	return names
}

// Seed creates the shard's objects through the API: a Node labelled with its
// zone and region, the namespace, the nginx Service of type LoadBalancer with
// its ingress IP in status, and an EndpointSlice of two ready endpoints.
func (c *Cluster) Seed(s Shard) error {
	cx, cancel := ctx()
	defer cancel()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: Node, Labels: map[string]string{
		"topology.kubernetes.io/zone": s.Zone, "topology.kubernetes.io/region": s.Region,
	}}}
	if _, err := c.Client.CoreV1().Nodes().Create(cx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%s: node: %w", c.Name, err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if _, err := c.Client.CoreV1().Namespaces().Create(cx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%s: namespace: %w", c.Name, err)
	}
	if err := c.CreateLabelledService(Service, corev1.ServiceTypeLoadBalancer, map[string]string{SelectorLabel: "true"}); err != nil {
		return err
	}
	if err := c.SetIngress(Service, s.Ingress); err != nil {
		return err
	}
	return c.SetEndpoints(Service, s.Zone, 2, true)
}

// CreateService creates a Service in the seed namespace serving port 80.
func (c *Cluster) CreateService(name string, typ corev1.ServiceType) error {
	return c.CreateLabelledService(name, typ, nil)
}

// CreateLabelledService creates a Service with labels in the seed namespace
// serving port 80.
func (c *Cluster) CreateLabelledService(name string, typ corev1.ServiceType, labels map[string]string) error {
	cx, cancel := ctx()
	defer cancel()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: labels},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}},
		},
	}
	if _, err := c.Client.CoreV1().Services(Namespace).Create(cx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("%s: service %s: %w", c.Name, name, err)
	}
	return nil
}

// Annotate sets annotations on a Service of the seed namespace, as its
// owners would.
func (c *Cluster) Annotate(name string, annotations map[string]string) error {
	cx, cancel := ctx()
	defer cancel()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if _, err := c.Client.CoreV1().Services(Namespace).Patch(cx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("%s: annotations of %s: %w", c.Name, name, err)
	}
	return nil
}

// DeleteService deletes a Service of the seed namespace.
func (c *Cluster) DeleteService(name string) error {
	cx, cancel := ctx()
	defer cancel()
	return c.Client.CoreV1().Services(Namespace).Delete(cx, name, metav1.DeleteOptions{})
}

// ClusterIP returns the cluster IP of a Service of the seed namespace.
func (c *Cluster) ClusterIP(name string) (string, error) {
	cx, cancel := ctx()
	defer cancel()
	svc, err := c.Client.CoreV1().Services(Namespace).Get(cx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return svc.Spec.ClusterIP, nil
}

// SetIngress sets the LoadBalancer ingress IP of a Service through its status
// subresource, as a cloud controller would.
func (c *Cluster) SetIngress(name, ip string) error {
	var ingress []map[string]string
	if ip != "" {
		ingress = []map[string]string{{"ip": ip}}
	}
	return c.setIngress(name, ingress)
}

// SetIngressHostname sets the LoadBalancer ingress of a Service to a
// hostname only, as AWS load balancers publish it.
func (c *Cluster) SetIngressHostname(name, hostname string) error {
	return c.setIngress(name, []map[string]string{{"hostname": hostname}})
}

func (c *Cluster) setIngress(name string, ingress []map[string]string) error {
	cx, cancel := ctx()
	defer cancel()
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"loadBalancer": map[string]any{"ingress": ingress}}})
	_, err := c.Client.CoreV1().Services(Namespace).Patch(cx, name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("%s: ingress of %s: %w", c.Name, name, err)
	}
	return nil
}

// SetEndpoints writes the Service's one EndpointSlice with n endpoints on the
// seed node in zone, all ready or all not ready; n = 0 scales it to zero.
// Like the EndpointSlice controller, it copies the Service's labels onto
// the slice.
func (c *Cluster) SetEndpoints(name, zone string, n int, ready bool) error {
	cx, cancel := ctx()
	defer cancel()
	labels := map[string]string{}
	if svc, err := c.Client.CoreV1().Services(Namespace).Get(cx, name, metav1.GetOptions{}); err == nil {
		maps.Copy(labels, svc.Labels)
	}
	labels[discoveryv1.LabelServiceName] = name
	labels[discoveryv1.LabelManagedBy] = "testbed.federation"
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-testbed", Namespace: Namespace, Labels: labels},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(80))}},
	}
	for i := range n {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.244.0.%d", i+10)},
			Conditions: discoveryv1.EndpointConditions{Ready: new(ready)},
			NodeName:   new(Node),
			Zone:       new(zone),
		})
	}
	slices := c.Client.DiscoveryV1().EndpointSlices(Namespace)
	old, err := slices.Get(cx, es.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = slices.Create(cx, es, metav1.CreateOptions{})
	case err == nil:
		es.ResourceVersion = old.ResourceVersion
		_, err = slices.Update(cx, es, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("%s: endpoints of %s: %w", c.Name, name, err)
	}
	return nil
}

// SetNodeLabel sets a label of the seed node.
func (c *Cluster) SetNodeLabel(key, value string) error {
	cx, cancel := ctx()
	defer cancel()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{key: value}}})
	_, err := c.Client.CoreV1().Nodes().Patch(cx, Node, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
