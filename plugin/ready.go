package plugin

import "time"

// Ready implements the ready.Readiness interface: true once the local
// cluster's caches have synced and every member has synced or passed its
// grace (SPEC 8), so a remote member's outage never makes the cluster's own
// DNS unready for longer than the grace.
func (f *Federation) Ready() bool {
	return f.clusters.LocalSynced() && f.clusters.Settled(time.Now())
}
