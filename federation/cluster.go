package federation

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

const serviceIndex = "service"

// Cluster watches one Kubernetes cluster through client-go informers: its
// Services, its EndpointSlices indexed by Service, and its Nodes (one or
// all). Lookups read the caches only.
type Cluster struct {
	name string

	services cache.SharedIndexInformer
	slices   cache.SharedIndexInformer
	nodes    cache.SharedIndexInformer // nil without a node name
	exports  cache.SharedIndexInformer // nil unless shards are exported Services or a clusterset is served
	// properties and imports are the cluster's id.k8s.io ClusterProperty
	// and ServiceImports, read for the clusterset names (SPEC 12); nil
	// without them.
	properties cache.SharedIndexInformer
	imports    cache.SharedIndexInformer
	// exportedOnly: a Service is a shard only with a ServiceExport; without
	// a way to read them (no metadata client), none is.
	exportedOnly bool
	// badAnnotations logs each policy annotation that does not parse once.
	badAnnotations OnceLog

	contact contact
	// optional is the contact of what only the clusterset names read (the
	// ClusterProperty, ServiceImports, and ServiceExports unless shards are
	// exported Services): its failures are logged, not the cluster's, so a
	// member whose role lacks them keeps its shards (SPEC 12.2).
	optional contact
	probe    func(context.Context) error // nil without a real API (unit tests)
	kick     chan struct{}               // a change that notify should hear of
	synced   atomic.Bool                 // latched: the caches have synced once
	started  atomic.Int64                // unix nanoseconds of Start, 0 before
	changes  atomic.Int64                // unix nanoseconds of the last change

	views memo[serviceKey, View]
	// clients maps client addresses to Nodes (Nodes.Clients).
	clients clientIndex

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Nodes selects the Nodes a Cluster watches: all of them (a member cluster,
// whose shards' zones and regions come from its nodes), the one named (the
// node CoreDNS runs on), or none. Clients watches all of them in full, to
// map each client's address to its node (the local cluster, SPEC 5.3).
type Nodes struct {
	All     bool
	Name    string
	Clients bool
}

// NewCluster returns a watcher of the cluster behind client; name goes into
// its published shards, sel says which Services are shards. Nothing is
// contacted until Start.
func NewCluster(name string, client kubernetes.Interface, nodes Nodes, opts Options) *Cluster {
	c := &Cluster{name: name, kick: make(chan struct{}, 1), probe: versionProbe(client)}
	// The selector goes to the API server with every list and watch of
	// Services and EndpointSlices (whose controller copies the Service's
	// labels onto them): nothing unselected crosses the wire.
	var selected func(*metav1.ListOptions)
	if opts.Selector != "" {
		selected = func(o *metav1.ListOptions) { o.LabelSelector = opts.Selector }
	}
	services := client.CoreV1().Services(metav1.NamespaceAll)
	c.services = c.informer("services", &corev1.Service{}, c.toService, nil, listWatch(client, "services",
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return services.List(ctx, o) },
		services.Watch, &c.contact, selected))
	slices := client.DiscoveryV1().EndpointSlices(metav1.NamespaceAll)
	c.slices = c.informer("endpointslices", &discoveryv1.EndpointSlice{}, c.toSlice, cache.Indexers{serviceIndex: sliceServiceKey}, listWatch(client, "endpointslices",
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return slices.List(ctx, o) },
		slices.Watch, &c.contact, selected))
	c.exportedOnly = opts.Exported
	if (opts.Exported || opts.Clusterset) && opts.Metadata != nil {
		ct := &c.optional
		if opts.Exported {
			ct = &c.contact // the shards themselves depend on them
		}
		c.exports = c.informerOf(ct, "serviceexports", &metav1.PartialObjectMetadata{}, toExport, nil, exportsListWatch(name, opts.Metadata, ct))
	}
	if opts.Clusterset && opts.Dynamic != nil {
		c.watchClusterset(opts.Dynamic, opts.Imports)
	}
	if nodes.All || nodes.Name != "" || nodes.Clients {
		var tweak func(*metav1.ListOptions)
		if !nodes.All && !nodes.Clients {
			byName := fields.OneTermEqualSelector(metav1.ObjectNameField, nodes.Name).String()
			tweak = func(o *metav1.ListOptions) { o.FieldSelector = byName }
		}
		if opts.Metadata != nil && !nodes.Clients {
			// Only metadata crosses the wire: labels are all topology needs.
			api := opts.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("nodes"))
			c.nodes = c.informer("nodes", &metav1.PartialObjectMetadata{}, toNode, nil, listWatch(opts.Metadata, "nodes",
				func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
				api.Watch, &c.contact, tweak))
		} else {
			api := client.CoreV1().Nodes()
			c.nodes = c.informer("nodes", &corev1.Node{}, toNode, nil, listWatch(client, "nodes",
				func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
				api.Watch, &c.contact, tweak))
		}
		if nodes.Clients {
			_, _ = c.nodes.AddEventHandler(cache.ResourceEventHandlerFuncs{
				AddFunc:    func(obj any) { c.indexClients(nil, obj) },
				UpdateFunc: c.indexClients,
				DeleteFunc: func(obj any) { c.indexClients(obj, nil) },
			})
		}
	}
	return c
}

// sameNode reports whether old and now are one Node that changed nothing
// the plugin keeps (a status heartbeat, a condition): no answer can have
// changed, so the memos stay.
func sameNode(old, now any) bool {
	o, ok1 := old.(*node)
	n, ok2 := now.(*node)
	return ok1 && ok2 && o.topo == n.topo && o.err == nil && n.err == nil &&
		slices.Equal(o.addrs.podCIDRs, n.addrs.podCIDRs) && slices.Equal(o.addrs.internalIPs, n.addrs.internalIPs)
}

// indexClients keeps the client index current with a Node's event, from
// old (nil for an added Node) to now (nil for a deleted one, whose
// tombstone it may be).
func (c *Cluster) indexClients(old, now any) {
	if t, ok := old.(cache.DeletedFinalStateUnknown); ok {
		old = t.Obj
	}
	var name string
	var was, is nodeAddrs
	if n, ok := old.(*node); ok {
		name, was = n.name, n.addrs
	}
	if n, ok := now.(*node); ok {
		name, is = n.name, n.addrs
	}
	if name != "" {
		c.clients.update(name, was, is)
	}
}

func (c *Cluster) informer(resource string, obj runtime.Object, transform cache.TransformFunc, indexers cache.Indexers, lw cache.ListerWatcher) cache.SharedIndexInformer {
	return c.informerOf(&c.contact, resource, obj, transform, indexers, lw)
}

// informerOf is informer with the failures of its watches reported to ct.
func (c *Cluster) informerOf(ct *contact, resource string, obj runtime.Object, transform cache.TransformFunc, indexers cache.Indexers, lw cache.ListerWatcher) cache.SharedIndexInformer {
	i := cache.NewSharedIndexInformerWithOptions(lw, obj, cache.SharedIndexInformerOptions{Indexers: indexers})
	// These fail only once the informer has started.
	_ = i.SetTransform(transform)
	_ = i.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		ct.watchError(resource, err)
	})
	_, _ = i.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.changed() },
		UpdateFunc: func(old, now any) {
			if !sameNode(old, now) {
				c.changed()
			}
		},
		DeleteFunc: func(any) { c.changed() },
	})
	return i
}

// listWatch lists and watches resource with the given functions of client,
// each call made until the API answers it and its outcome reported to ct
// (contact.call); tweak, if not nil, adjusts the options of each call.
func listWatch(
	client any, resource string,
	list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
	ct *contact, tweak func(*metav1.ListOptions),
) cache.ListerWatcher {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (obj runtime.Object, err error) {
			if tweak != nil {
				tweak(&o)
			}
			err = ct.call(ctx, resource, false, func() error {
				obj, err = list(ctx, o)
				return err
			})
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (w watch.Interface, err error) {
			if tweak != nil {
				tweak(&o)
			}
			streaming := o.SendInitialEvents != nil && *o.SendInitialEvents
			err = ct.call(ctx, resource, streaming, func() error {
				w, err = watchFn(ctx, o)
				return err
			})
			return w, err
		},
	}
	// Keeps client-go from using watch-list streaming with a client that
	// cannot do it (the fake clientset of unit tests).
	return cache.ToListWatcherWithWatchListSemantics(lw, client)
}

func sliceServiceKey(obj any) ([]string, error) {
	s, ok := obj.(*endpointSlice)
	if !ok {
		return nil, errors.New("not an EndpointSlice")
	}
	if s.service == "" {
		return nil, nil
	}
	return []string{s.namespace + "/" + s.service}, nil
}

func (c *Cluster) informers() []cache.SharedIndexInformer {
	informers := []cache.SharedIndexInformer{c.services, c.slices}
	if c.nodes != nil {
		informers = append(informers, c.nodes)
	}
	for _, i := range []cache.SharedIndexInformer{c.exports, c.properties, c.imports} {
		if i != nil {
			informers = append(informers, i)
		}
	}
	return informers
}

// notifyInterval is the shortest time between two calls of Start's notify.
const notifyInterval = 200 * time.Millisecond

// Start runs the informers until Stop. It does not block. notify, if not
// nil, is called after the caches sync, when the API stops or starts
// answering, and after object changes, at most every 200ms; never
// concurrently.
func (c *Cluster) Start(notify func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.started.Store(time.Now().UnixNano())
	c.contact.mu.Lock()
	c.contact.onChange = c.changed
	c.contact.mu.Unlock()
	synced := make([]cache.InformerSynced, 0, 3)
	for _, i := range c.informers() {
		c.wg.Go(func() { i.RunWithContext(ctx) })
		synced = append(synced, i.HasSynced)
	}
	if c.probe != nil {
		c.wg.Go(func() { c.probeLoop(ctx) })
	}
	if notify == nil {
		return
	}
	c.wg.Go(func() {
		if cache.WaitForCacheSync(ctx.Done(), synced...) {
			c.changed()
		}
	})
	c.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.kick:
			}
			notify()
			select {
			case <-ctx.Done():
				return
			case <-time.After(notifyInterval):
			}
		}
	})
}

// changed tells the notify loop and the published-shard memo that
// something changed.
func (c *Cluster) changed() {
	// Memos first: once LastChange has moved, lookups see the change.
	c.views.invalidate()
	c.changes.Store(time.Now().UnixNano())
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Stop ends the informers and waits for their goroutines to return.
func (c *Cluster) Stop() {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	c.wg.Wait()
}

// HasSynced reports whether every cache has been filled once.
func (c *Cluster) HasSynced() bool {
	if c.synced.Load() {
		return true
	}
	for _, i := range c.informers() {
		if !i.HasSynced() {
			return false
		}
	}
	c.synced.Store(true)
	return true
}

// Synced reports whether the caches are synced and the API answers.
func (c *Cluster) Synced() bool {
	since, _ := c.contact.down()
	return since.IsZero() && c.HasSynced()
}

// Started returns when Start was called, or the zero time before.
func (c *Cluster) Started() time.Time {
	if n := c.started.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// LastChange returns when the cluster's objects or API state last changed.
func (c *Cluster) LastChange() time.Time { return time.Unix(0, c.changes.Load()) }

// Down returns since when the API has not answered and the last error, or the
// zero time while it answers.
func (c *Cluster) Down() (time.Time, error) { return c.contact.down() }

// WaitForSync blocks until the caches are synced or the timeout passes, and
// reports whether they are.
func (c *Cluster) WaitForSync(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !c.HasSynced() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
