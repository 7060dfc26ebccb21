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
	"k8s.io/client-go/dynamic"
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
	// Clusterset reads what the clusterset names need (SPEC 12):
	// ServiceExports whatever the services mode, and the cluster's id; it
	// needs Metadata and Dynamic. Imports reads ServiceImports too (the
	// local cluster's).
	Clusterset, Imports bool
	// Dynamic reads custom resources in full: ClusterProperties and
	// ServiceImports.
	Dynamic dynamic.Interface
	// Metadata, when set, reads objects by their metadata only: Nodes
	// (whose labels are all topology needs) and ServiceExports. Without
	// it Nodes are read in full and kept as compact objects.
	Metadata metadata.Interface
}

// ServiceExports is the resource of the Multi-Cluster Services API that
// marks a Service for export; ServiceExportsBeta is its later version,
// read where a cluster serves only that one (SPEC 12).
var (
	ServiceExports     = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceexports"}
	ServiceExportsBeta = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1beta1", Resource: "serviceexports"}
)

// noCRDRecheck is how long a cluster without the ServiceExport CRD waits
// before it looks for the CRD again.
const noCRDRecheck = 30 * time.Second

// optional is a resource of a CRD that a cluster may not have, read in
// the first of its versions that the cluster serves.
type optional struct {
	resource string // in logs and the contact's records
	kind     string // its kind, in logs
	rbac     string // the manifest that lets CoreDNS read it
	without  string // what a cluster without it gets
	versions []versionAPI
}

// versionAPI lists and watches one version of an optional resource.
type versionAPI struct {
	list  func(context.Context, metav1.ListOptions) (runtime.Object, error)
	watch func(context.Context, metav1.ListOptions) (watch.Interface, error)
}

// metadataVersions reads the versions of a resource by their metadata.
func metadataVersions(client metadata.Interface, gvrs ...schema.GroupVersionResource) []versionAPI {
	apis := make([]versionAPI, 0, len(gvrs))
	for _, gvr := range gvrs {
		api := client.Resource(gvr).Namespace(metav1.NamespaceAll)
		apis = append(apis, versionAPI{
			list:  func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
			watch: api.Watch,
		})
	}
	return apis
}

// exportsListWatch lists and watches ServiceExports by their metadata
// only, in v1alpha1 or else v1beta1.
func exportsListWatch(cluster string, client metadata.Interface, ct *contact) cache.ListerWatcher {
	return optionalListWatch(cluster, optional{
		resource: "serviceexports", kind: "ServiceExport", rbac: "deploy/rbac-exported.yaml", without: "it exports no service",
		versions: metadataVersions(client, ServiceExports, ServiceExportsBeta),
	}, ct, nil)
}

// optionalListWatch lists and watches the resource r in the first of its
// versions the cluster serves; tweak, if not nil, adjusts each call's
// options. A cluster without the CRD answers 404, and one whose RBAC does
// not let CoreDNS read it 403: until its first list, either way it has
// none, which is logged once, and its caches sync, so the DNS of a
// cluster stays up and ready. It is asked again every noCRDRecheck, so a
// CRD or a role granted later is noticed without a reload: when the
// stand-in watch ends, the reflector lists again. A 403 counts as a
// failed contact, so cluster_synced shows it. Once a list has succeeded,
// a 403 or 404 (a role revoked, the CRD removed by an upgrade) is a failed
// contact like any other: the last known objects are kept, and the call
// made again.
func optionalListWatch(cluster string, r optional, ct *contact, tweak func(*metav1.ListOptions)) cache.ListerWatcher {
	var noCRD, forbidden sync.Once
	var listed atomic.Bool
	var version atomic.Int32 // the version the last list was answered in
	// unreadable reports whether err says, before any list succeeded, that
	// the cluster's objects cannot be read at all, and logs why once.
	unreadable := func(err error) bool {
		if listed.Load() {
			return false
		}
		switch {
		case apierrors.IsNotFound(err):
			noCRD.Do(func() {
				log.Warningf("cluster %s has no %s CRD: %s", cluster, r.kind, r.without)
			})
		case apierrors.IsForbidden(err):
			forbidden.Do(func() {
				log.Warningf("cluster %s does not let CoreDNS read %ss (apply %s): %s until it does: %v", cluster, r.kind, r.rbac, r.without, err)
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
	// list asks each version in turn until one is served.
	list := func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		var err error
		for i, v := range r.versions {
			var obj runtime.Object
			if obj, err = v.list(ctx, o); err == nil || !apierrors.IsNotFound(err) || i == len(r.versions)-1 {
				version.Store(int32(i))
				return obj, err
			}
		}
		return nil, err
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			if tweak != nil {
				tweak(&o)
			}
			var obj runtime.Object
			unread := false
			err := ct.call(ctx, r.resource, false, func() error {
				l, err := list(ctx, o)
				if err != nil && unreadable(err) {
					obj, unread = &metav1.PartialObjectMetadataList{}, true
					return standIn(err)
				}
				obj = l
				return err
			})
			if err == nil && !unread {
				listed.Store(true)
			}
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			if tweak != nil {
				tweak(&o)
			}
			var w watch.Interface
			err := ct.call(ctx, r.resource, false, func() error {
				var err error
				if w, err = r.versions[version.Load()].watch(ctx, o); err != nil && unreadable(err) {
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
	return !c.exportedOnly || c.hasExport(namespace, name)
}
