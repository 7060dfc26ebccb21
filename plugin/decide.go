package plugin

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

var (
	errUnsynced        = errors.New("federation: local cluster caches not synced")
	errUnsettled       = errors.New("federation: a member's shards are not known yet (neither synced nor past its grace)")
	errUnknownTopology = errors.New("federation: local zone or region unknown")
	errNameTooLong     = errors.New("federation: CNAME target longer than 255 octets")
)

// path is the way an in-cluster question is answered.
type path int

const (
	// pathNext: not a federated name; the next plugin answers.
	pathNext path = iota
	// pathEndpoint: an endpoint name of a headless service (SPEC 1.3); the
	// next plugin answers.
	pathEndpoint
	// pathServfail: no answer can be given (unsynced caches, unknown
	// topology, a target too long); err says why.
	pathServfail
	// pathLocal: the healthy local shard's addresses (SPEC 3.1).
	pathLocal
	// pathExternalName: a CNAME to the external name, chased (SPEC 2.3).
	pathExternalName
	// pathCNAME: a CNAME up the federation to level, chased (SPEC 3.2).
	pathCNAME
)

// String is the path's name in explain.
func (p path) String() string {
	return [...]string{"next", "next", "servfail", "local", "externalname", "cname"}[p]
}

// decision is how one in-cluster question is answered, as plain data: what
// ServeDNS writes and explain tells.
type decision struct {
	path path
	name federation.ServiceName
	// port holds the _<port>._<proto> labels the question leads with,
	// which the CNAME target keeps (SPEC 12.1).
	port federation.PortLabels
	// self is the service's name in the zone asked, without port labels,
	// the target of the local answer's SRV records: set for a clusterset
	// name, written from name and the zone otherwise (writeLocal).
	self   string
	domain string // the federation's DOMAIN
	shard  federation.Shard
	topo   federation.Topology
	// clientNode is the local Node the client asks from, whose zone and
	// region topo holds; "" when the client maps to no Node (SPEC 5.3). A
	// local answer looks for it only where trafficDistribution asks.
	clientNode string
	// level is the level that answers: LevelNone for a local answer or
	// SERVFAIL, else the level the CNAME points at.
	level  federation.Level
	target string
	// region is the region of the level the CNAME points at: the local
	// one, or a preferred one (SPEC 10).
	region string
	// scope is the widest level the walk may reach: the narrowest of the
	// local Service's scope and the known shards' (LevelNone: global).
	scope federation.Level
	// inProcess: the members' shards are settled and shards holds them,
	// and answersInProcess says the answer is written here, not chased.
	inProcess bool
	shards    []federation.PublishedShard
	// only, when not nil, names the members whose shards count: those that
	// export the service, for a clusterset name (SPEC 12).
	only map[string]bool
	err  error // why, for pathServfail and a topology that is unknown
	why  string
}

// metricLevel is the decision's level label of the resolutions metric.
func (d decision) metricLevel() string {
	switch d.path {
	case pathLocal, pathExternalName:
		return levelLocal
	case pathCNAME:
		return d.level.String()
	}
	return levelNone
}

// decide decides how the in-cluster name qname under the cluster zone zone
// is answered at now for the client that asked through w (SPEC 1 to 3, 5.3,
// 10), whose address is read only where the answer depends on it. The local Service is read once: a
// member may share the local watch, and reads its shard from the same view,
// so no decision sees the local shard before a change and that member's
// shard after it.
func (f *Federation) decide(qname, zone string, w dns.ResponseWriter, now time.Time) decision {
	name, port, ok := federation.ParseServiceNamePort(qname, zone)
	if !ok {
		return decision{path: pathNext, why: "not a federated name"}
	}
	d := decision{name: name, port: port}
	if d.domain, ok = f.cfg.Federations[name.Federation]; !ok {
		d.path, d.why = pathNext, "no such federation"
		return d
	}
	if !f.clusters.LocalSynced() {
		d.path, d.err, d.why = pathServfail, errUnsynced, "the local caches have not synced"
		return d
	}
	if port == (federation.PortLabels{}) && f.clusters.Headless(name.Federation, name.Namespace) {
		f.warnings.Warningf("collision:"+name.Federation, "namespace %q has the name of a federation: names of the form <host>.<service>.%s.svc of its headless services are answered as endpoint names, not federated names", name.Federation, name.Federation)
		d.path, d.why = pathEndpoint, "the endpoint name of a headless service in a namespace named like the federation (SPEC 1.3)"
		return d
	}
	return f.decideService(d, f.clusters.Local(name.Namespace, name.Service), w, now)
}

// decideService decides the answer of d's service, whose local view is
// local: the rest of decide, shared with the clusterset names (SPEC 12).
func (f *Federation) decideService(d decision, local federation.View, w dns.ResponseWriter, now time.Time) decision {
	name := d.name
	d.shard = local.Shard
	switch {
	case d.shard.Kind == federation.ExternalName:
		d.path, d.target, d.why = pathExternalName, strings.ToLower(fqdn(d.shard.ExternalName)), "an ExternalName service"
		return d
	case d.shard.Healthy:
		d.path, d.why = pathLocal, "the local shard is healthy"
		if d.shard.SameZone {
			// trafficDistribution: the endpoints of the client's zone, or
			// of the local zone for a client on no known node (SPEC 5.3);
			// none known, all of them.
			d.topo, d.clientNode, _ = f.clientTopology(clientAddr(w))
		}
		return d
	}
	var err error
	if d.topo, d.clientNode, err = f.clientTopology(clientAddr(w)); err != nil {
		f.warnings.Warningf("topology:"+err.Error(), "cannot answer federated names with a CNAME: %v", err)
		d.path, d.why, d.err = pathServfail, "the local zone or region is unknown: "+err.Error(), errUnknownTopology
		return d
	}
	d.path, d.region, d.scope = pathCNAME, d.topo.Region, d.shard.Policy.Scope
	d.level, d.why = federation.LevelZone, "no members: the federation zone walks up from the zone level"
	known, found := false, false
	if f.clusters.HasMembers() {
		d.why = "the members' shards are not all known yet: the zone level"
		if known = f.clusters.Settled(now); known {
			var scope federation.Level
			d.shards, scope = f.clusters.Shards(name.Namespace, name.Service, local, now)
			if d.only != nil {
				d.shards = slices.DeleteFunc(slices.Clone(d.shards), func(s federation.PublishedShard) bool { return !d.only[s.Cluster] })
			}
			d.scope = federation.Narrowest(d.scope, scope)
			d.level, d.region, found = federation.Route(d.shards, d.topo.Zone, d.topo.Region, d.shard.Policy.PreferRegions, d.scope)
			switch {
			case !found:
				d.why = "no healthy shard within the scope: its widest level"
			case d.region != d.topo.Region:
				d.why = "the first preferred region with a healthy shard"
			default:
				d.why = "the nearest level with a healthy shard"
			}
		}
	}
	d.target = d.port.Prefix() + name.LevelName(d.level, d.topo.Zone, d.region, d.domain)
	if len(d.target) > MaxNameLength {
		f.warnings.Warningf("long:"+name.Federation, "cannot answer %s.%s: its CNAME target at the %s level is longer than 255 octets", name.Service, name.Namespace, d.level)
		d.path, d.err, d.why = pathServfail, errNameTooLong, "the CNAME target would be longer than 255 octets"
		return d
	}
	d.inProcess = known && f.answersInProcess(d, found)
	return d
}

// answersInProcess reports whether the CNAME target of d, whose walk found
// a healthy shard or not, is answered here rather than chased through the
// server (SPEC 3.3). In this plugin's own zone the answer would be the
// same, only faster; except an NXDOMAIN that fallthrough hands to the next
// plugin, which the chase reaches. In a zone served elsewhere only a walk
// that a scope ends early is answered here: a server that does not know
// the scope could walk past it. Without one the real zone is asked: a
// member this cluster cannot see may still have a healthy shard there.
func (f *Federation) answersInProcess(d decision, found bool) bool {
	if slices.Contains(f.cfg.Authority, d.domain) {
		return found || !f.cfg.Fall.Through(d.target)
	}
	return !found && d.scope > federation.LevelGlobal
}

// clientTopology returns the zone and region that start the walk for the
// client at addr (SPEC 5.3): those of the local Node it asks from, by its
// pod range or its own address, with that Node's name; a client that maps
// to no Node, or to one without a valid zone and region, gets the local
// topology and no Node name.
func (f *Federation) clientTopology(addr netip.Addr) (federation.Topology, string, error) {
	if addr.IsValid() {
		if c, ok := f.clusters.ClientNode(addr); ok && c.Topology.Zone != "" && c.Topology.Region != "" {
			return c.Topology, c.Node, nil
		}
	}
	t, err := f.topology()
	return t, "", err
}

// topology returns the local zone and region: those of the Corefile, else
// the local node's valid labels (SPEC 5.1). A node label that is not valid
// matters only where the Corefile does not set its value.
func (f *Federation) topology() (federation.Topology, error) {
	t := f.cfg.Topology
	if t.Zone != "" && t.Region != "" {
		return t, nil
	}
	node, err := f.clusters.NodeTopology(f.cfg.Node)
	if t.Zone == "" {
		t.Zone = node.Zone
	}
	if t.Region == "" {
		t.Region = node.Region
	}
	switch {
	case t.Zone != "" && t.Region != "":
		return t, nil
	case err != nil:
		return t, err
	}
	return t, fmt.Errorf("node labels have no zone or region (zone %q, region %q)", t.Zone, t.Region)
}

// walk is how a level name of the federation zone is answered (SPEC 4.3):
// the levels walked from the level asked (at) up to the first level with a
// healthy shard, each the CNAME target of the one before, and that level's
// addresses; without any, the walk ends NXDOMAIN at the global level or at
// the edge of the scope.
type walk struct {
	at     federation.DomainName
	levels [3]federation.Level
	n      int
	addrs  []netip.Addr
	shards []federation.PublishedShard
}

// ports returns the ports of the shards at the walk's last level, for SRV
// (SPEC 12.1): computed only for the questions that need them.
func (w walk) ports() []federation.Port {
	return federation.Ports(w.shards, w.levels[w.n-1], w.at.Zone, w.at.Region)
}

// walkLevels walks up from the level name at, no higher than scope (SPEC
// 10): a walk that would leave it ends NXDOMAIN where it is.
func walkLevels(at federation.DomainName, shards []federation.PublishedShard, scope federation.Level) walk {
	w := walk{at: at, shards: shards}
	for l := at.Level; ; l = l.Up() {
		w.levels[w.n] = l
		w.n++
		w.addrs = federation.Addresses(shards, l, at.Zone, at.Region)
		if len(w.addrs) > 0 || l == federation.LevelGlobal || !scope.Within(l.Up()) {
			return w
		}
	}
}

// fqdn is dns.Fqdn for names of the API.
func fqdn(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}
