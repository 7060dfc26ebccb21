package plugin

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// dnsVersion is the version of the MCS DNS specification the clusterset
// names follow, as dns-version.<zone> TXT tells.
const dnsVersion = "1.0.0"

// serveClusterset answers a name under the clusterset zone (SPEC 12).
func (f *Federation) serveClusterset(ctx context.Context, state request.Request) (int, error) {
	zone := f.cfg.Clusterset.Zone
	if f.cfg.Explain && state.QType() == dns.TypeTXT && strings.HasPrefix(state.Name(), explainLabel) {
		if n := federation.ParseClustersetName(strings.TrimPrefix(state.Name(), explainLabel), zone); n.Kind == federation.ClustersetService {
			return f.writeExplain(state, f.explainClusterset(n, state.W))
		}
	}
	n := federation.ParseClustersetName(state.Name(), zone)
	if (n.Kind == federation.ClustersetService || n.Kind == federation.ClustersetEndpoint) && !f.clusters.LocalSynced() {
		f.count(ctx, f.cfg.Clusterset.Federation, levelNone)
		return dns.RcodeServerFailure, errUnsynced
	}
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	qtype := state.QType()
	switch n.Kind {
	case federation.ClustersetApex:
		m.Answer = f.apexRecords(state, zone)
	case federation.ClustersetNameServer:
		m.Answer = addressRecords(f, owner(state), qtype, serverAddresses(state))
	case federation.ClustersetVersion:
		if qtype == dns.TypeTXT {
			m.Answer = []dns.RR{&dns.TXT{Hdr: f.header(owner(state), dns.TypeTXT), Txt: []string{dnsVersion}}}
		}
	case federation.ClustersetEmpty:
	case federation.ClustersetService:
		return f.serveClustersetService(ctx, state, n, m)
	case federation.ClustersetEndpoint:
		now := time.Now()
		level := f.writeEndpoint(m, qtype, owner(state), n, now)
		if level == levelNone && f.clusters.HasMembers() && !f.clusters.Settled(now) {
			// Not found, but not every member is known yet: no NXDOMAIN
			// for a resolver to cache.
			f.count(ctx, f.cfg.Clusterset.Federation, levelNone)
			return dns.RcodeServerFailure, errUnsettled
		}
		f.count(ctx, f.cfg.Clusterset.Federation, level)
	default:
		m.Rcode = dns.RcodeNameError
	}
	return f.writeClusterset(m, state)
}

// writeClusterset sends m, with the zone's SOA where it has no answer.
func (f *Federation) writeClusterset(m *dns.Msg, state request.Request) (int, error) {
	f.negativeSOA(m, f.cfg.Clusterset.Zone)
	if err := state.W.WriteMsg(m); err != nil {
		return dns.RcodeSuccess, err
	}
	return dns.RcodeSuccess, nil
}

// clustersetPath is the way a clusterset service name is answered.
type clustersetPath int

const (
	// csImport: the local ServiceImport's ClusterSetIPs.
	csImport clustersetPath = iota
	// csFederated: a ClusterSetIP service, answered as its federated name.
	csFederated
	// csHeadless: the ready endpoints of the nearest exporting clusters.
	csHeadless
	// csNowhere: exported nowhere, or no ready endpoint anywhere: NXDOMAIN.
	csNowhere
	// csServfail: which members export it is not known yet.
	csServfail
)

// String is the path's name in explain.
func (p clustersetPath) String() string {
	return [...]string{"import", "federated", "headless", "nxdomain", "servfail"}[p]
}

// clustersetDecision is how a clusterset service name is answered, as
// plain data: what serveClusterset writes and explain tells. A ClusterSetIP
// service's is the decision of its federated name (fed).
type clustersetDecision struct {
	path      clustersetPath
	imp       federation.Import
	fed       decision
	exporters []Exporter
	chosen    []Exporter // the exporters that answer a headless service
	level     string     // the level label of the resolutions metric
	why       string
}

// decideClusterset decides the answer of the clusterset service name n
// for the client that asked through w (SPEC 12).
func (f *Federation) decideClusterset(n federation.ClustersetName, w dns.ResponseWriter, now time.Time) clustersetDecision {
	cs := f.cfg.Clusterset
	if imp, ok := f.clusters.Import(n.Namespace, n.Service); ok && len(imp.IPs) > 0 {
		return clustersetDecision{path: csImport, imp: imp, level: levelLocal, why: "a local ServiceImport has ClusterSetIPs"}
	}
	local := f.clusters.Local(n.Namespace, n.Service)
	if (!local.Exported || !local.Shard.Healthy) && f.clusters.HasMembers() && !f.clusters.Settled(now) {
		return clustersetDecision{path: csServfail, level: levelNone, why: "the members' exports are not all known yet"}
	}
	c := clustersetDecision{exporters: f.clusters.Exporters(n.Namespace, n.Service, local, now)}
	switch {
	case len(c.exporters) == 0:
		c.path, c.level, c.why = csNowhere, levelNone, "no cluster of the clusterset exports it"
	case c.exporters[0].View.Shard.Kind == federation.Headless:
		c.path, c.why = csHeadless, "the ready endpoints of the nearest exporting clusters"
		if c.chosen, c.level = f.nearestExporters(w, c.exporters); len(c.chosen) == 0 {
			c.path, c.why = csNowhere, "no exporting cluster has a ready endpoint within the scope"
		}
	default:
		// A ClusterSetIP service: the federated name's decision, the
		// local shard counting only while it is exported.
		if !local.Exported {
			local = federation.View{Shard: federation.Shard{Kind: federation.Missing}}
		}
		// Only the exporting clusters' shards count: a cluster that does
		// not export the service is not asked to serve it (SPEC 12).
		only := map[string]bool{}
		for _, e := range c.exporters {
			if e.Member != "" {
				only[e.Member] = true
			}
		}
		d := decision{name: federation.ServiceName{Service: n.Service, Namespace: n.Namespace, Federation: cs.Federation}, port: n.Port,
			self: dnsutil.Join(n.Service, n.Namespace, "svc", cs.Zone), domain: f.cfg.Federations[cs.Federation], only: only}
		c.path, c.fed, c.why = csFederated, f.decideService(d, local, w, now), "a ClusterSetIP service: as its federated name"
		c.level = c.fed.metricLevel()
	}
	return c
}

// serveClustersetService answers [_<port>._<proto>.]<svc>.<ns>.svc.<zone>
// as decideClusterset decides (SPEC 12).
func (f *Federation) serveClustersetService(ctx context.Context, state request.Request, n federation.ClustersetName, m *dns.Msg) (int, error) {
	cs := f.cfg.Clusterset
	c := f.decideClusterset(n, state.W, time.Now())
	if c.path == csFederated {
		return f.answer(ctx, state, cs.Zone, c.fed)
	}
	f.count(ctx, cs.Federation, c.level)
	qtype := state.QType()
	switch c.path {
	case csServfail:
		return dns.RcodeServerFailure, errUnsettled
	case csNowhere:
		m.Rcode = dns.RcodeNameError
	case csImport:
		if n.Port == (federation.PortLabels{}) && qtype != dns.TypeSRV {
			m.Answer = addressRecords(f, owner(state), qtype, c.imp.IPs)
		} else {
			self := dnsutil.Join(n.Service, n.Namespace, "svc", cs.Zone)
			f.writeSRV(m, owner(state), qtype, n.Port, c.imp.Ports, []srvTarget{{name: self, addrs: c.imp.IPs}})
		}
	case csHeadless:
		f.writeHeadless(m, state, n, c.chosen)
	}
	return f.writeClusterset(m, state)
}

// writeHeadless answers a headless service's clusterset name from the
// ready endpoints of the chosen exporting clusters (SPEC 12, 12.1).
func (f *Federation) writeHeadless(m *dns.Msg, state request.Request, n federation.ClustersetName, chosen []Exporter) {
	qtype := state.QType()
	if n.Port == (federation.PortLabels{}) && qtype != dns.TypeSRV {
		var addrs []netip.Addr
		for _, e := range chosen {
			addrs = append(addrs, e.View.Shard.Addresses...)
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		m.Answer = addressRecords(f, owner(state), qtype, slices.Compact(addrs)) // clusters' pod ranges may overlap
		return
	}
	var targets []srvTarget
	var ports [][]federation.Port
	for _, e := range chosen {
		targets = append(targets, endpointTargets(e.View.Shard, func(host string) string {
			return dnsutil.Join(host, e.ID, n.Service, n.Namespace, "svc", f.cfg.Clusterset.Zone)
		})...)
		ports = append(ports, e.View.Shard.Ports)
	}
	f.writeSRV(m, owner(state), qtype, n.Port, federation.MergePorts(ports...), targets)
}

// nearestExporters returns the exporting clusters of a headless service
// whose ready endpoints answer (SPEC 12): the local cluster when its shard
// is healthy, else the members at the nearest level with a healthy shard
// (federation.Route, the walk of federated names), and that level.
func (f *Federation) nearestExporters(w dns.ResponseWriter, exporters []Exporter) ([]Exporter, string) {
	if e := exporters[0]; e.Local && e.View.Shard.Healthy && e.View.Shard.Kind == federation.Headless {
		return exporters[:1], levelLocal
	}
	var shards []federation.PublishedShard
	var healthy []Exporter
	var scope federation.Level
	for _, e := range exporters {
		scope = federation.Narrowest(scope, e.View.Shard.Policy.Scope)
		if e.Local || !e.View.Shard.Healthy || e.View.Shard.Kind != federation.Headless {
			continue
		}
		healthy = append(healthy, e)
		shards = append(shards, federation.PublishedShard{Cluster: e.ID, Region: e.View.Region, Zones: e.View.Zones})
	}
	level, region, found := federation.LevelGlobal, "", len(shards) > 0 && scope.Within(federation.LevelGlobal)
	topo, _, err := f.clientTopology(clientAddr(w))
	if err == nil {
		level, region, found = federation.Route(shards, topo.Zone, topo.Region, exporters[0].View.Shard.Policy.PreferRegions, scope)
	} // else where the client is is unknown: the global level, as far as the scope lets it
	if !found {
		return nil, levelNone
	}
	var chosen []Exporter
	for i, s := range shards {
		if s.At(level, topo.Zone, region) {
			chosen = append(chosen, healthy[i])
		}
	}
	return chosen, level.String()
}

// writeEndpoint answers <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>: the
// addresses of that cluster's ready endpoint of that name, and returns
// the level answered (local or global), for the metrics.
func (f *Federation) writeEndpoint(m *dns.Msg, qtype uint16, owner string, n federation.ClustersetName, now time.Time) string {
	local := f.clusters.Local(n.Namespace, n.Service)
	exporters := f.clusters.Exporters(n.Namespace, n.Service, local, now)
	for _, e := range exporters {
		if e.ID == n.Host+"."+n.Cluster {
			// <clusterid>.<svc>.<ns> of a two-label id: reserved (SPEC 12).
			m.Rcode = dns.RcodeNameError
			return levelNone
		}
	}
	for _, e := range exporters {
		s := e.View.Shard
		if e.ID != n.Cluster || s.Kind != federation.Headless {
			continue
		}
		var addrs []netip.Addr
		for i, a := range s.Addresses {
			if s.Hostname(i) == n.Host {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			continue // another cluster of that id (ids should be unique)
		}
		m.Answer = addressRecords(f, owner, qtype, addrs)
		if e.Local {
			return levelLocal
		}
		return federation.LevelGlobal.String()
	}
	m.Rcode = dns.RcodeNameError
	return levelNone
}

// explainClusterset renders the decision of the clusterset service name n
// for the client that asked through w: each exporting cluster, then, for
// a ClusterSetIP service, its federated name's decision.
func (f *Federation) explainClusterset(n federation.ClustersetName, w dns.ResponseWriter) []string {
	now := time.Now()
	c := f.decideClusterset(n, w, now)
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("clusterset of federation %s: %s/%s; caches synced %v", f.cfg.Clusterset.Federation, n.Namespace, n.Service, f.clusters.LocalSynced())
	if c.path == csImport {
		add("local ServiceImport: ClusterSetIPs %v", c.imp.IPs)
	}
	for _, e := range c.exporters {
		s := e.View.Shard
		add("exported by cluster %s (local %v): %s, healthy %v, region %s, zones %v, addresses %v", e.ID, e.Local, kindName(s.Kind), s.Healthy, e.View.Region, e.View.Zones, s.Addresses)
	}
	if c.path == csFederated {
		lines = append(lines, f.explainLines(c.fed, w, now)...)
	}
	ids := make([]string, 0, len(c.chosen))
	for _, e := range c.chosen {
		ids = append(ids, e.ID)
	}
	add("clusterset answer: %s level=%s clusters=%v: %s", c.path, c.level, ids, c.why)
	return lines
}
