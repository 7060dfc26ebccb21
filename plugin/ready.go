package plugin

// Ready implements the ready.Readiness interface: true once the local
// cluster's caches have synced, and nothing else (SPEC 8). A remote
// member's state never makes the cluster's own DNS unready: CoreDNS's
// ready asks only the new instance after a reload, and every replica
// reloads within minutes of the others, so waiting there for a member that
// is down could leave the cluster without a ready DNS server. Level names
// and the in-cluster CNAME are guarded by the members' settling instead
// (SPEC 4.5.2).
func (f *Federation) Ready() bool {
	return f.clusters.LocalSynced()
}
