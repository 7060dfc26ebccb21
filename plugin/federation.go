// Package plugin is the DNS side of the federation plugin: the CoreDNS
// handler that answers federated service names from the local cluster's
// caches, with the service's addresses while its local shard is healthy and
// a CNAME up the federation's zone, region and global names when it is not.
// It also holds the plugin's metrics and readiness.
//
// One function decides each answer as plain data (decide for in-cluster
// names, walkLevels for the federation zone); ServeDNS, the in-process
// answer of a CNAME target and explain render that decision and nothing
// else.
package plugin

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// Federation is the federation plugin.
type Federation struct {
	Next coreplugin.Handler

	cfg      Config
	clusters Clusters
	watchers *Watchers // what clusters reads, when it is the watches (New)
	upstream Upstream
	serials  *serials
	notifier Notifier     // sends NOTIFY of the federation zones (SetTransfer)
	listen   []netip.Addr // what the server listens on, for transfers

	warnings federation.OnceLog
	// chainWarnings are the warnings of loops, keyed by names that tenants
	// choose: a flood of them must not crowd out the others.
	chainWarnings federation.OnceLog

	memberWatches []*memberWatch
	stopHostnames context.CancelFunc
	stopZones     context.CancelFunc
	started       atomic.Int64 // unix nanoseconds of Start, 0 before
	background    sync.WaitGroup
}

// Config is what the Corefile says of the answers.
type Config struct {
	// Zones are the cluster zones whose federated names are answered,
	// lower-case and fully qualified (cluster.local.).
	Zones []string
	// Authority lists the federation domains answered authoritatively (SPEC
	// 4.1): those among the ZONES, when members are listed.
	Authority []string
	// Federations maps each federation's NAME to its DNS DOMAIN, lower-case
	// and fully qualified.
	Federations map[string]string
	// TTL is the TTL of every record the plugin writes.
	TTL uint32
	// Topology holds the zone and region set in the Corefile; each one left
	// empty is read from the labels of Node, the node CoreDNS runs on.
	Topology federation.Topology
	Node     string
	// Explain answers _explain.<federated name> TXT questions with the
	// decision behind the name's answer. Off by default: it discloses the
	// clusters' state to anyone who can ask.
	Explain bool
	// Fall lists the zones whose NXDOMAIN answers of the federation zone go
	// to the next plugin instead.
	Fall fall.F
	// Clusterset serves the MCS names of a federation (SPEC 12); its Zone
	// is "" without the clusterset property.
	Clusterset Clusterset
}

// Clusterset says which federation's members form the clusterset, and the
// zone of its names (clusterset.local.).
type Clusterset struct {
	Federation string
	Zone       string
}

// DefaultTTL is the TTL of the plugin's records without a ttl property: the
// kubernetes plugin's, and the longest a client's cache holds an answer
// after a failover (SPEC 3.6, 11).
const DefaultTTL = 5

// Watchers are the clusters' watches that answers are read from, started
// and stopped with the server.
type Watchers struct {
	Local   *federation.LocalCluster
	Members []*federation.Member
	// Watches holds every watch once: a member reached like the local
	// cluster shares its watch.
	Watches []*federation.Cluster
	// Hostnames resolves the members' ingress hostnames in the background;
	// nil leaves shards with only a hostname unpublished.
	Hostnames *Hostnames
}

// Upstream resolves a name through the CoreDNS server that received the query
// (upstream.Upstream).
type Upstream interface {
	Lookup(ctx context.Context, state request.Request, name string, typ uint16) (*dns.Msg, error)
}

// New returns the plugin answering as cfg says from w's watches, chasing
// CNAME targets through upstream (nil: not chased).
func New(cfg Config, w Watchers, upstream Upstream) *Federation {
	ws := &w
	f := newFederation(cfg, &watched{ws: ws}, upstream)
	f.watchers = ws
	return f
}

// newFederation returns the plugin reading the caches through clusters.
func newFederation(cfg Config, clusters Clusters, upstream Upstream) *Federation {
	return &Federation{cfg: cfg, clusters: clusters, upstream: upstream, serials: newSerials(time.Now())}
}
