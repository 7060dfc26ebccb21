package plugin

// Ready implements the ready.Readiness interface: true once the local
// cluster's caches and every member's have synced.
func (f *Federation) Ready() bool {
	if !f.Local.HasSynced() {
		return false
	}
	for _, m := range f.Members {
		if !m.HasSynced() {
			return false
		}
	}
	return true
}
