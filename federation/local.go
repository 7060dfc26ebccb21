package federation

import (
	"net/netip"
	"time"
)

// LocalCluster is the cluster this CoreDNS serves, read through a watch of
// its API that it may share with a member; it reads the watch and cannot
// stop it.
type LocalCluster struct {
	watch *Cluster
}

// NewLocalCluster returns the local cluster read through watch.
func NewLocalCluster(watch *Cluster) *LocalCluster { return &LocalCluster{watch: watch} }

// Watch is the watch the local cluster is read through.
func (l *LocalCluster) Watch() *Cluster { return l.watch }

// View returns what the local caches say of the service namespace/name.
func (l *LocalCluster) View(namespace, name string) View { return l.watch.View(namespace, name) }

// Headless reports whether namespace has a headless Service called name.
func (l *LocalCluster) Headless(namespace, name string) bool {
	svc := l.watch.service(namespace, name)
	return svc != nil && svc.kind == Headless
}

// NodeTopology returns the zone and region labels of the watched node.
func (l *LocalCluster) NodeTopology(node string) (Topology, error) { return l.watch.NodeTopology(node) }

// ClientNode returns where a client at addr asks from (SPEC 5.3).
func (l *LocalCluster) ClientNode(addr netip.Addr) (Client, bool) { return l.watch.ClientNode(addr) }

// HasSynced reports whether the local caches have been filled once.
func (l *LocalCluster) HasSynced() bool { return l.watch.HasSynced() }

// Synced reports whether the local caches are synced and the API answers.
func (l *LocalCluster) Synced() bool { return l.watch.Synced() }

// Down returns since when the local API has not answered and why, or the
// zero time while it answers.
func (l *LocalCluster) Down() (time.Time, error) { return l.watch.Down() }

// LastChange returns when the local objects or API state last changed.
func (l *LocalCluster) LastChange() time.Time { return l.watch.LastChange() }

// ID returns the local cluster's id.k8s.io ClusterProperty, "" without one.
func (l *LocalCluster) ID() string { return l.watch.ID() }

// Import returns the local ServiceImport namespace/name (SPEC 12).
func (l *LocalCluster) Import(namespace, name string) (Import, bool) {
	return l.watch.Import(namespace, name)
}
