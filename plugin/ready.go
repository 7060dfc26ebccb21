package plugin

import (
	"sync/atomic"
	"time"
)

// Ready implements the ready.Readiness interface: true once the local
// cluster's caches have synced, and nothing else (SPEC 8). A remote
// member's state never makes the cluster's own DNS unready: CoreDNS's
// ready asks only the new instance after a reload, and every replica
// reloads within minutes of the others, so waiting there for a member that
// is down could leave the cluster without a ready DNS server. Level names
// and the in-cluster CNAME are guarded by the members' settling instead
// (SPEC 4.5.2).
//
// A reload's new instance is asked before its own caches have had time to
// sync (ready starts before the plugin in the chain): while an instance of
// this process was ready before and this one started less than
// reloadReadiness ago, it counts as ready, so a reload does not take the
// pod out of its Service's endpoints for the moments of a relist.
func (f *Federation) Ready() bool {
	if f.clusters.LocalSynced() {
		wasReady.Store(true)
		return true
	}
	started := f.started.Load()
	return wasReady.Load() && started != 0 && time.Since(time.Unix(0, started)) < reloadReadiness
}

// reloadReadiness is how long a reload's new instance counts as ready
// before its caches sync: as long as startup waits for them.
const reloadReadiness = 5 * time.Second

// wasReady: an instance of the plugin in this process has been ready.
var wasReady atomic.Bool
