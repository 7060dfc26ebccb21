package federation

import "time"

// Member is a member cluster of the federation zone with the grace period
// that its shards outlive an outage of its API (SPEC 4.5).
type Member struct {
	// Name is the member's name in the Corefile, metrics and logs; its
	// Cluster may be shared with the local cluster, under another name.
	Name string
	*Cluster
	Grace time.Duration
}

// Usable reports whether the member's shards count at now: its caches have
// synced, and its API answers or has been silent for less than the grace.
func (m *Member) Usable(now time.Time) bool {
	if !m.HasSynced() {
		return false
	}
	since, _ := m.Down()
	return since.IsZero() || now.Sub(since) < m.Grace
}

// Settled reports whether the member's shards are known at now: its caches
// have synced, or its API has been silent for longer than the grace, so it
// counts as having no healthy shard.
func (m *Member) Settled(now time.Time) bool {
	if m.HasSynced() {
		return true
	}
	since, _ := m.Down()
	return !since.IsZero() && now.Sub(since) >= m.Grace
}

// GraceLeft returns how long the member's shards still count while its API
// is silent, and false while it answers.
func (m *Member) GraceLeft(now time.Time) (time.Duration, bool) {
	since, _ := m.Down()
	if since.IsZero() {
		return 0, false
	}
	return max(m.Grace-now.Sub(since), 0), true
}
