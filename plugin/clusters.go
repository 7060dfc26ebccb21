package plugin

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/federated-dns/federation/federation"
)

// Clusters is what answers read of the clusters' caches. The watches
// implement it (watched); handler tests stand in for it with tables.
type Clusters interface {
	// LocalSynced reports whether the local caches have synced (SPEC 3.5).
	LocalSynced() bool
	// Local returns what the local caches say of namespace/name: its
	// shard, and its published shard should a member share the local watch.
	Local(namespace, name string) federation.View
	// Headless reports whether the local namespace has a headless Service
	// called name (SPEC 1.3).
	Headless(namespace, name string) bool
	// NodeTopology returns the zone and region labels of the local node.
	NodeTopology(node string) (federation.Topology, error)
	// ClientNode returns the local Node a client at addr asks from, and
	// false when no single Node claims it (SPEC 5.3).
	ClientNode(addr netip.Addr) (federation.Client, bool)
	// HasMembers reports whether member clusters are listed.
	HasMembers() bool
	// Settled reports whether every member's shards are known at now.
	Settled(now time.Time) bool
	// Shards returns the published shards of namespace/name in the members
	// whose shards count at now, with the addresses of their ingress
	// hostnames, and the narrowest scope annotation of the members'
	// Services, healthy or not (SPEC 10: with several values, the narrowest
	// wins). A member that shares the local watch reads local, the view of
	// namespace/name the caller read, so one answer sees one state of it.
	Shards(namespace, name string, local federation.View, now time.Time) ([]federation.PublishedShard, federation.Level)
	// Members describes each member's state and shard of namespace/name.
	Members(namespace, name string, now time.Time) []MemberState
	// Exporters returns the clusters of the clusterset that export
	// namespace/name (SPEC 12): the local cluster first, whose view the
	// caller read (local), then each member whose shards count at now.
	Exporters(namespace, name string, local federation.View, now time.Time) []Exporter
	// Import returns the local ServiceImport of namespace/name.
	Import(namespace, name string) (federation.Import, bool)
	// PublishedServices returns, sorted, the Services with a published
	// shard in a member whose shards count at now: the names of the
	// federation zone (SPEC 13.1).
	PublishedServices(now time.Time) []federation.ServiceKey
	// Places returns the zones and regions of the Nodes of the members
	// whose shards count at now: the levels of the federation zone.
	Places(now time.Time) []federation.Topology
}

// Exporter is a cluster that exports a Service to the clusterset, by its
// cluster id, with its view of the Service.
type Exporter struct {
	ID    string
	Local bool
	// Member is the cluster's member name, "" for a local cluster that is
	// no member.
	Member string
	View   federation.View
}

// MemberState is what explain tells of a member.
type MemberState struct {
	Name       string
	Synced     bool
	DownSince  time.Time // zero while its API answers
	Usable     bool      // its shards count
	LastChange time.Time
	Published  bool
	Shard      federation.PublishedShard
	Resolved   []netip.Addr // the addresses of the shard's ingress hostnames
}

// watched reads the clusters' watches: the plugin's own Watchers, which
// Start and Stop also use.
type watched struct{ ws *Watchers }

func (w *watched) LocalSynced() bool { return w.ws.Local.HasSynced() }

func (w *watched) Local(namespace, name string) federation.View {
	return w.ws.Local.View(namespace, name)
}

func (w *watched) Headless(namespace, name string) bool { return w.ws.Local.Headless(namespace, name) }

func (w *watched) NodeTopology(node string) (federation.Topology, error) {
	return w.ws.Local.NodeTopology(node)
}

func (w *watched) ClientNode(addr netip.Addr) (federation.Client, bool) {
	return w.ws.Local.ClientNode(addr)
}

func (w *watched) HasMembers() bool { return len(w.ws.Members) > 0 }

func (w *watched) Settled(now time.Time) bool {
	for _, m := range w.ws.Members {
		if !m.Settled(now) {
			return false
		}
	}
	return true
}

func (w *watched) Shards(namespace, name string, local federation.View, now time.Time) ([]federation.PublishedShard, federation.Level) {
	shards := make([]federation.PublishedShard, 0, len(w.ws.Members))
	var scope federation.Level
	for _, m := range w.ws.Members {
		v := local
		if !m.Reads(w.ws.Local.Watch()) {
			v = m.View(namespace, name)
		}
		// A shard's scope counts whatever its health (SPEC 10).
		scope = federation.Narrowest(scope, v.Shard.Policy.Scope)
		if !v.IsPublished || !m.Usable(now) {
			continue
		}
		s := v.Published
		if len(s.Hostnames) > 0 && w.ws.Hostnames != nil {
			s.Ingress = w.ws.Hostnames.Addresses(s.Ingress, s.Hostnames)
		}
		if len(s.Ingress) == 0 {
			continue // a hostname not resolved yet (SPEC 4.2.1)
		}
		s.Cluster = m.Name
		shards = append(shards, s)
	}
	return shards, scope
}

func (w *watched) Members(namespace, name string, now time.Time) []MemberState {
	states := make([]MemberState, 0, len(w.ws.Members))
	for _, m := range w.ws.Members {
		since, _ := m.Down()
		v := m.View(namespace, name)
		s := v.Published
		st := MemberState{Name: m.Name, Synced: m.HasSynced(), DownSince: since, Usable: m.Usable(now),
			LastChange: m.LastChange(), Published: v.IsPublished, Shard: s}
		if v.IsPublished && len(s.Hostnames) > 0 && w.ws.Hostnames != nil {
			st.Resolved = w.ws.Hostnames.Addresses(nil, s.Hostnames)
		}
		states = append(states, st)
	}
	return states
}

func (w *watched) Exporters(namespace, name string, local federation.View, now time.Time) []Exporter {
	var out []Exporter
	localID, localMember := w.ws.Local.ID(), ""
	for _, m := range w.ws.Members {
		if m.Reads(w.ws.Local.Watch()) {
			localMember = m.Name
			if localID == "" {
				localID = m.ID()
			}
			continue
		}
		if v := m.View(namespace, name); v.Exported && m.Usable(now) {
			out = append(out, Exporter{ID: m.ID(), Member: m.Name, View: v})
		}
	}
	if !local.Exported {
		return out
	}
	if localID == "" {
		localID = LocalLabel
	}
	return append([]Exporter{{ID: localID, Local: true, Member: localMember, View: local}}, out...)
}

func (w *watched) Import(namespace, name string) (federation.Import, bool) {
	return w.ws.Local.Import(namespace, name)
}

func (w *watched) PublishedServices(now time.Time) []federation.ServiceKey {
	var keys []federation.ServiceKey
	for _, m := range w.ws.Members {
		if m.Usable(now) {
			keys = append(keys, m.PublishedServices()...)
		}
	}
	slices.SortFunc(keys, func(a, b federation.ServiceKey) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return slices.Compact(keys)
}

func (w *watched) Places(now time.Time) []federation.Topology {
	var places []federation.Topology
	for _, m := range w.ws.Members {
		if m.Usable(now) {
			places = append(places, m.Places()...)
		}
	}
	return places
}
