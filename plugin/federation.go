// Package plugin is the DNS side of the federation plugin: the CoreDNS
// handler that answers federated service names from the local cluster's
// caches, with the service's addresses while its local shard is healthy and
// a CNAME up the federation's zone, region and global names when it is not.
// It also holds the plugin's metrics and readiness.
package plugin

import (
	"context"
	"sync"
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

	// Zones are the cluster zones whose federated names are answered,
	// lower-case and fully qualified (cluster.local.).
	Zones []string
	// Federations maps each federation's NAME to its DNS DOMAIN, lower-case
	// and fully qualified.
	Federations map[string]string
	// TTL is the TTL of every record the plugin writes.
	TTL uint32
	// Topology holds the zone and region set in the Corefile; each one left
	// empty is read from the local node's labels.
	Topology federation.Topology

	// Explain answers _explain.<federated name> TXT questions with the
	// chain behind the name's answer. Off by default: it discloses the
	// clusters' state to anyone who can ask.
	Explain bool
	// Fall lists the zones whose NXDOMAIN answers of the federation zone go
	// to the next plugin instead.
	Fall fall.F

	// Node is the node CoreDNS runs on, whose labels give the local zone and
	// region that Topology leaves empty.
	Node string
	// Local watches the cluster this CoreDNS serves.
	Local *federation.Cluster
	// Members are the member clusters of the federation zone.
	Members []*federation.Member
	// Authority lists the federation domains answered authoritatively (SPEC
	// 4.1): those among the ZONES, when members are listed.
	Authority []string
	// Upstream resolves CNAME targets through this CoreDNS server.
	Upstream Upstream
	// Hostnames resolves the members' ingress hostnames in the background;
	// nil leaves shards with only a hostname unpublished.
	Hostnames *Hostnames

	serial   uint32
	warnings onceLog
	// chainWarnings are the warnings of loops, keyed by names that tenants
	// choose: a flood of them must not crowd out the others.
	chainWarnings onceLog
	watches       []*memberWatch

	stopHostnames context.CancelFunc
	background    sync.WaitGroup
}

// Upstream resolves a name through the CoreDNS server that received the query
// (upstream.Upstream).
type Upstream interface {
	Lookup(ctx context.Context, state request.Request, name string, typ uint16) (*dns.Msg, error)
}

// New returns a Federation with the default TTL and no federations.
func New() *Federation {
	return &Federation{TTL: defaultTTL, Federations: map[string]string{}, serial: uint32(time.Now().Unix())}
}

const defaultTTL = 30

// onceLog logs each distinct cause once, so a cause that fails every query
// shows up once in the log, not once per query. It remembers at most
// onceLogLimit causes: keys may come from questions, and a flood of distinct
// ones must not grow memory.
type onceLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

const onceLogLimit = 1024

// warning logs msg unless a message with the same key was logged before.
func (o *onceLog) warning(key, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[key] || len(o.seen) >= onceLogLimit {
		return
	}
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	o.seen[key] = true
	log.Warning(msg)
}
