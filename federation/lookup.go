package federation

import (
	"errors"
	"fmt"
	"net/netip"
)

// Lookups of a Cluster: they read the informers' caches only.

// service returns the cached Service namespace/name, or nil.
func (c *Cluster) service(namespace, name string) *service {
	obj, ok, err := c.services.GetIndexer().GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return nil
	}
	svc, _ := obj.(*service)
	return svc
}

// endpointSlices returns the cached EndpointSlices of Service namespace/name.
func (c *Cluster) endpointSlices(namespace, name string) []*endpointSlice {
	objs, err := c.slices.GetIndexer().ByIndex(serviceIndex, namespace+"/"+name)
	if err != nil || len(objs) == 0 {
		return nil
	}
	slices := make([]*endpointSlice, 0, len(objs))
	for _, o := range objs {
		if s, ok := o.(*endpointSlice); ok {
			slices = append(slices, s)
		}
	}
	return slices
}

// Shard returns this cluster's shard of the service namespace/name; the
// returned Addresses are shared: do not modify them.
func (c *Cluster) Shard(namespace, name string) Shard { return c.View(namespace, name).Shard }

// View is what the caches say of one Service: its shard (SPEC 2) and its
// published shard (SPEC 4.2), computed together from one read of the
// caches, so no lookup can see one of them before a change and the other
// after it. Views are remembered until the next change of the cluster's
// objects; their slices are shared: do not modify them.
type View struct {
	Shard       Shard
	Published   PublishedShard
	IsPublished bool
	// Exported: the cluster has a ServiceExport of the Service, where it
	// reads them (SPEC 9, 12).
	Exported bool
	// Zones and Region are where the ready endpoints of an exported
	// Service are (as a published shard's), for the clusterset names.
	Zones  []string
	Region string
}

// serviceKey names a Service in the memo of views: a struct, so a lookup
// joins no strings.
type serviceKey struct{ namespace, name string }

// View returns what the caches say of the Service namespace/name.
func (c *Cluster) View(namespace, name string) View {
	key := serviceKey{namespace, name}
	gen, v, hit := c.views.get(key)
	if hit {
		return v
	}
	svc := c.service(namespace, name)
	if svc == nil || !c.exported(namespace, name) {
		return View{Shard: Shard{Kind: Missing}} // not remembered, so asking cannot grow the memo
	}
	slices := c.endpointSlices(namespace, name)
	v.Shard = newShard(svc, slices)
	v.Published, v.IsPublished = c.publishedShard(svc, slices)
	if v.Exported = c.hasExport(namespace, name); v.Exported && v.Shard.Healthy {
		v.Zones, v.Region = c.place(slices)
	}
	c.views.put(gen, key, v)
	return v
}

// NodeTopology returns the valid zone and region labels of a watched node,
// and why a label is missing or not valid.
func (c *Cluster) NodeTopology(node string) (Topology, error) {
	if node == "" || c.nodes == nil {
		return Topology{}, errors.New("no node name: set the node option or NODE_NAME")
	}
	n := c.node(node)
	if n == nil {
		return Topology{}, fmt.Errorf("node %q not found", node)
	}
	return n.topo, n.err
}

// Client is where a client asks from (SPEC 5.3): its Node, that Node's
// valid topology labels, and why any other label is not valid.
type Client struct {
	Node     string
	Topology Topology
	Err      error
}

// ClientNode returns where a client at addr asks from, by its pod range or
// its node's own address, and false when no single watched Node claims it.
func (c *Cluster) ClientNode(addr netip.Addr) (Client, bool) {
	name, ok := c.clients.lookup(addr)
	if !ok {
		return Client{}, false
	}
	n := c.node(name)
	if n == nil {
		return Client{}, false
	}
	return Client{Node: name, Topology: n.topo, Err: n.err}, true
}

// node returns the cached Node called name, or nil.
func (c *Cluster) node(name string) *node {
	if c.nodes == nil || name == "" {
		return nil
	}
	obj, ok, err := c.nodes.GetIndexer().GetByKey(name)
	if err != nil || !ok {
		return nil
	}
	n, _ := obj.(*node)
	return n
}
