package federation

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Lookups of a Cluster: they read the informers' caches only.

// Service returns the cached Service namespace/name, or nil.
func (c *Cluster) Service(namespace, name string) *corev1.Service {
	obj, ok, err := c.services.GetIndexer().GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return nil
	}
	svc, _ := obj.(*corev1.Service)
	return svc
}

// EndpointSlices returns the cached EndpointSlices of Service namespace/name.
func (c *Cluster) EndpointSlices(namespace, name string) []*discoveryv1.EndpointSlice {
	objs, err := c.slices.GetIndexer().ByIndex(serviceIndex, namespace+"/"+name)
	if err != nil || len(objs) == 0 {
		return nil
	}
	slices := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		if s, ok := o.(*discoveryv1.EndpointSlice); ok {
			slices = append(slices, s)
		}
	}
	return slices
}

// Shard returns this cluster's shard of the service namespace/name; the
// returned Addresses are shared: do not modify them.
func (c *Cluster) Shard(namespace, name string) Shard { return c.view(namespace, name).shard }

// view is what the caches say of one Service: its shard (SPEC 2) and its
// published shard (SPEC 4.2), computed together from one read of the
// caches, so no lookup can see one of them before a change and the other
// after it. Views are remembered until the next change of the cluster's
// objects.
type view struct {
	shard     Shard
	published PublishedShard
	ok        bool // published
}

func (c *Cluster) view(namespace, name string) view {
	key := namespace + "/" + name
	gen, v, hit := c.views.get(key)
	if hit {
		return v
	}
	svc := c.Service(namespace, name)
	if svc == nil || !c.exported(namespace, name) {
		return view{shard: Shard{Kind: Missing}} // not remembered, so asking cannot grow the memo
	}
	slices := c.EndpointSlices(namespace, name)
	v.shard = NewShard(svc, slices)
	v.published, v.ok = c.publishedShard(svc, slices, v.shard.Policy)
	c.views.put(gen, key, v)
	return v
}

// NodeTopology returns the zone and region labels of a watched node.
func (c *Cluster) NodeTopology(node string) (Topology, error) {
	if node == "" || c.nodes == nil {
		return Topology{}, errors.New("no node name: set the node option or NODE_NAME")
	}
	n := c.node(node)
	if n == nil {
		return Topology{}, fmt.Errorf("node %q not found", node)
	}
	return TopologyFromLabels(n.Labels)
}

// node returns the cached metadata of the Node called name, or nil.
func (c *Cluster) node(name string) *metav1.PartialObjectMetadata {
	if c.nodes == nil || name == "" {
		return nil
	}
	obj, ok, err := c.nodes.GetIndexer().GetByKey(name)
	if err != nil || !ok {
		return nil
	}
	n, _ := obj.(*metav1.PartialObjectMetadata)
	return n
}
