package plugin

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/federated-dns/federation/federation"
)

// stubClusters stands in for the clusters' caches in handler tests: each
// test says what the caches hold, and answers follow at once.
type stubClusters struct {
	unsynced bool                        // the local caches have not synced
	local    map[string]federation.Shard // by namespace/name
	headless map[string]bool             // by namespace/name
	topo     federation.Topology         // the local node's labels
	topoErr  error
	// corefileZone is the zone the Corefile sets, if any (tableFederation).
	corefileZone string
	members      []string                               // names of the members
	unsettled    bool                                   // some member's shards are not known yet
	published    map[string][]federation.PublishedShard // by namespace/name
	scope        federation.Level                       // of every service, narrowest of its shards
	clients      map[netip.Addr]federation.Client       // the Nodes clients ask from
	exporters    map[string][]Exporter                  // the clusterset's, by namespace/name
	imports      map[string]federation.Import           // local ServiceImports, by namespace/name
	exported     map[string]bool                        // local ServiceExports, by namespace/name
	places       []federation.Topology                  // the members' Nodes' zones and regions
}

func (s *stubClusters) LocalSynced() bool { return !s.unsynced }

func (s *stubClusters) Local(namespace, name string) federation.View {
	if sh, ok := s.local[namespace+"/"+name]; ok {
		return federation.View{Shard: sh, Exported: s.exported[namespace+"/"+name]}
	}
	return federation.View{Shard: federation.Shard{Kind: federation.Missing}}
}

func (s *stubClusters) Headless(namespace, name string) bool { return s.headless[namespace+"/"+name] }

func (s *stubClusters) NodeTopology(string) (federation.Topology, error) { return s.topo, s.topoErr }

func (s *stubClusters) ClientNode(addr netip.Addr) (federation.Client, bool) {
	c, ok := s.clients[addr]
	return c, ok
}

func (s *stubClusters) HasMembers() bool { return len(s.members) > 0 }

func (s *stubClusters) Settled(time.Time) bool { return !s.unsettled }

func (s *stubClusters) Shards(namespace, name string, _ federation.View, _ time.Time) ([]federation.PublishedShard, federation.Level) {
	return s.published[namespace+"/"+name], s.scope
}

func (s *stubClusters) Members(namespace, name string, _ time.Time) []MemberState {
	states := make([]MemberState, 0, len(s.members))
	for _, m := range s.members {
		st := MemberState{Name: m, Synced: !s.unsettled, Usable: !s.unsettled}
		for _, sh := range s.published[namespace+"/"+name] {
			if sh.Cluster == m {
				st.Published, st.Shard = true, sh
			}
		}
		states = append(states, st)
	}
	return states
}

func (s *stubClusters) Exporters(namespace, name string, _ federation.View, _ time.Time) []Exporter {
	return s.exporters[namespace+"/"+name]
}

func (s *stubClusters) Import(namespace, name string) (federation.Import, bool) {
	i, ok := s.imports[namespace+"/"+name]
	return i, ok
}

func (s *stubClusters) PublishedServices(time.Time) []federation.ServiceKey {
	keys := make([]federation.ServiceKey, 0, len(s.published))
	for k := range s.published {
		ns, name, _ := strings.Cut(k, "/")
		keys = append(keys, federation.ServiceKey{Namespace: ns, Name: name})
	}
	slices.SortFunc(keys, func(a, b federation.ServiceKey) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return keys
}

func (s *stubClusters) Places(time.Time) []federation.Topology { return s.places }
