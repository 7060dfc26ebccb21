package federation

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
)

// Options say what a Cluster watches beyond its Services, EndpointSlices
// and Nodes, and how.
type Options struct {
	// Selector is a label selector that the API server applies to every
	// list and watch of Services and EndpointSlices; empty selects all
	// (SPEC 9).
	Selector string
	// Exported reads ServiceExports (multicluster.x-k8s.io, the
	// Multi-Cluster Services API): a Service is a shard only while one of
	// the same namespace and name exists (SPEC 9). It needs Metadata.
	Exported bool
	// Metadata, when set, reads objects by their metadata only: Nodes
	// (whose labels are all topology needs) and ServiceExports. Without
	// it Nodes are read in full and kept as compact objects.
	Metadata metadata.Interface
}

// ServiceExports is the resource of the Multi-Cluster Services API that
// marks a Service for export.
var ServiceExports = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceexports"}

// noCRDRecheck is how long a cluster without the ServiceExport CRD waits
// before it looks for the CRD again.
const noCRDRecheck = 30 * time.Second

// exportsListWatch lists and watches ServiceExports by their metadata
// only. A cluster without the CRD answers 404, and one whose RBAC does
// not let CoreDNS read them (deploy/rbac-exported.yaml not applied) 403:
// until its first list, either way it has no exported service, which is
// logged once, and its caches sync, so the DNS of a cluster stays up and
// ready. It is asked again every noCRDRecheck, so a CRD or a role granted
// later is noticed without a reload: when the stand-in watch ends, the
// reflector lists again. A 403 counts as a failed contact, so
// cluster_synced shows it. Once a list has succeeded, a 403 or 404 (a role
// revoked, the CRD removed by an upgrade) is a failed contact like any
// other: the last known exports are kept, and the call made again.
func exportsListWatch(cluster string, client metadata.Interface, ct *contact) cache.ListerWatcher {
	api := client.Resource(ServiceExports).Namespace(metav1.NamespaceAll)
	var noCRD, forbidden sync.Once
	var listed atomic.Bool
	// unreadable reports whether err says, before any list succeeded, that
	// the cluster's ServiceExports cannot be read at all, and logs why once.
	unreadable := func(err error) bool {
		if listed.Load() {
			return false
		}
		switch {
		case apierrors.IsNotFound(err):
			noCRD.Do(func() {
				log.Warningf("cluster %s has no ServiceExport CRD (%s): it exports no service", cluster, ServiceExports.GroupResource())
			})
		case apierrors.IsForbidden(err):
			forbidden.Do(func() {
				log.Warningf("cluster %s does not let CoreDNS read ServiceExports (apply deploy/rbac-exported.yaml): it exports no service until it does: %v", cluster, err)
			})
		default:
			return false
		}
		return true
	}
	// standIn is the outcome of a call refused before the first list: the
	// API answered, and a 403 is a failed contact all the same, a 404 none.
	standIn := func(err error) answered {
		if apierrors.IsForbidden(err) {
			return answered{err: err}
		}
		return answered{}
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			var list runtime.Object
			unread := false
			err := ct.call(ctx, "serviceexports", false, func() error {
				l, err := api.List(ctx, o)
				if err != nil && unreadable(err) {
					list, unread = &metav1.PartialObjectMetadataList{}, true
					return standIn(err)
				}
				list = l
				return err
			})
			if err == nil && !unread {
				listed.Store(true)
			}
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			var w watch.Interface
			err := ct.call(ctx, "serviceexports", false, func() error {
				var err error
				if w, err = api.Watch(ctx, o); err != nil && unreadable(err) {
					w = endAfter(ctx, noCRDRecheck)
					return standIn(err)
				}
				return err
			})
			return w, err
		},
	}
	return cache.ToListWatcherWithWatchListSemantics(lw, plainListWatch{})
}

// plainListWatch makes the exports' reflector list and then watch, rather
// than stream its list, so a missing CRD shows as the list's 404.
type plainListWatch struct{}

func (plainListWatch) IsWatchListSemanticsUnSupported() bool { return true }

// endAfter is a watch that delivers nothing and ends after d.
func endAfter(ctx context.Context, d time.Duration) watch.Interface {
	w := watch.NewFake()
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
		w.Stop()
	}()
	return w
}

// exported reports whether the Service namespace/name is a shard as far as
// ServiceExports go: always when only exported Services are not asked for.
func (c *Cluster) exported(namespace, name string) bool {
	if !c.exportedOnly {
		return true
	}
	if c.exports == nil {
		return false
	}
	_, ok, err := c.exports.GetIndexer().GetByKey(namespace + "/" + name)
	return err == nil && ok
}
