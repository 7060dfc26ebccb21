package federation

import "time"

// Member is a member cluster of the federation zone, read through a watch
// of its API, with the grace period that its shards outlive an outage of
// that API (SPEC 4.5). The watch may be shared with the local cluster or
// another member: a Member reads it and cannot stop it.
type Member struct {
	// Name is the member's name in the Corefile, metrics and logs.
	Name  string
	Grace time.Duration
	watch *Cluster
}

// NewMember returns the member called name, read through watch.
func NewMember(name string, watch *Cluster, grace time.Duration) *Member {
	return &Member{Name: name, Grace: grace, watch: watch}
}

// Reads reports whether the member is read through watch.
func (m *Member) Reads(watch *Cluster) bool { return m.watch == watch }

// HasSynced reports whether the member's caches have been filled once.
func (m *Member) HasSynced() bool { return m.watch.HasSynced() }

// Synced reports whether the member's caches are synced and its API answers.
func (m *Member) Synced() bool { return m.watch.Synced() }

// Down returns since when the member's API has not answered and why, or the
// zero time while it answers.
func (m *Member) Down() (time.Time, error) { return m.watch.Down() }

// LastChange returns when the member's objects or API state last changed.
func (m *Member) LastChange() time.Time { return m.watch.LastChange() }

// View returns what the member's caches say of the Service namespace/name:
// its published shard, and its policy whatever its health.
func (m *Member) View(namespace, name string) View { return m.watch.View(namespace, name) }

// CountPublished counts the member's published shards that counts accepts
// (nil: all) and returns the ingress hostnames of all of them.
func (m *Member) CountPublished(counts func(PublishedShard) bool) (int, []string) {
	return m.watch.CountPublished(counts)
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
// have synced, or the grace has passed since its first failed contact, so
// it counts as having no healthy shard (SPEC 4.5.2). A watch that has not
// synced within unsyncedLimit of its start, without any error (a list that
// hangs), has failed its contact then, as a black hole does (SPEC 4.5.1):
// a member that hangs costs that and the grace, never longer.
func (m *Member) Settled(now time.Time) bool {
	if m.HasSynced() {
		return true
	}
	since, _ := m.Down()
	if start := m.watch.Started(); !start.IsZero() {
		if hung := start.Add(unsyncedLimit); since.IsZero() || hung.Before(since) {
			since = hung
		}
	}
	return !since.IsZero() && now.Sub(since) >= m.Grace
}

// unsyncedLimit is how long a watch may go without syncing, and without an
// error, before it counts as a failed contact: the bound of SPEC 4.5.1 for
// an API that stops answering.
const unsyncedLimit = 15 * time.Second

// GraceLeft returns how long the member's shards still count while its API
// is silent, and false while it answers.
func (m *Member) GraceLeft(now time.Time) (time.Duration, bool) {
	since, _ := m.Down()
	if since.IsZero() {
		return 0, false
	}
	return max(m.Grace-now.Sub(since), 0), true
}

// ID returns the member's cluster id (SPEC 12): its id.k8s.io
// ClusterProperty, else its name.
func (m *Member) ID() string {
	if id := m.watch.ID(); id != "" {
		return id
	}
	return m.Name
}

// PublishedServices returns the member's Services with a published shard.
func (m *Member) PublishedServices() []ServiceKey { return m.watch.PublishedServices() }

// Places returns the zones and regions of the member's Nodes.
func (m *Member) Places() []Topology { return m.watch.Places() }
