package plugin

import (
	"context"
	"net/netip"
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
		if qtype == dns.TypeSOA {
			soa := f.soa(zone)
			soa.Header().Name = owner(state)
			m.Answer = []dns.RR{soa}
		}
	case federation.ClustersetVersion:
		if qtype == dns.TypeTXT {
			m.Answer = []dns.RR{&dns.TXT{Hdr: f.header(owner(state), dns.TypeTXT), Txt: []string{dnsVersion}}}
		}
	case federation.ClustersetEmpty:
	case federation.ClustersetService:
		return f.serveClustersetService(ctx, state, n, m)
	case federation.ClustersetEndpoint:
		level := f.writeEndpoint(m, qtype, owner(state), n, time.Now())
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

// serveClustersetService answers [_<port>._<proto>.]<svc>.<ns>.svc.<zone>:
// a local ServiceImport's IPs; else, for a ClusterSetIP service, the
// decision of the federated name; for a headless one the ready addresses
// of the nearest level's exporting clusters (SPEC 12).
func (f *Federation) serveClustersetService(ctx context.Context, state request.Request, n federation.ClustersetName, m *dns.Msg) (int, error) {
	cs := f.cfg.Clusterset
	self := dnsutil.Join(n.Service, n.Namespace, "svc", cs.Zone)
	qtype := state.QType()
	if imp, ok := f.clusters.Import(n.Namespace, n.Service); ok && len(imp.IPs) > 0 {
		// An MCS data plane gives the service its ClusterSetIPs.
		if n.Port == (federation.PortLabels{}) && qtype != dns.TypeSRV {
			m.Answer = addressRecords(f, owner(state), qtype, imp.IPs)
		} else {
			f.writeSRV(m, owner(state), qtype, n.Port, imp.Ports, []srvTarget{{name: self, addrs: imp.IPs}})
		}
		f.count(ctx, cs.Federation, levelLocal)
		return f.writeClusterset(m, state)
	}
	now := time.Now()
	local := f.clusters.Local(n.Namespace, n.Service)
	if (!local.Exported || !local.Shard.Healthy) && f.clusters.HasMembers() && !f.clusters.Settled(now) {
		// Which members export it, and where, is not known yet.
		f.count(ctx, cs.Federation, levelNone)
		return dns.RcodeServerFailure, errUnsettled
	}
	exporters := f.clusters.Exporters(n.Namespace, n.Service, local, now)
	if len(exporters) == 0 {
		m.Rcode = dns.RcodeNameError // exported nowhere
		f.count(ctx, cs.Federation, levelNone)
		return f.writeClusterset(m, state)
	}
	if exporters[0].View.Shard.Kind == federation.Headless {
		level := f.writeHeadless(m, state, n, exporters)
		f.count(ctx, cs.Federation, level)
		return f.writeClusterset(m, state)
	}
	// A ClusterSetIP service: the federated name's decision, the local
	// shard counting only while it is exported.
	if !local.Exported {
		local = federation.View{Shard: federation.Shard{Kind: federation.Missing}}
	}
	name := federation.ServiceName{Service: n.Service, Namespace: n.Namespace, Federation: cs.Federation}
	d := decision{name: name, port: n.Port, self: self, domain: f.cfg.Federations[cs.Federation]}
	return f.answer(ctx, state, cs.Zone, f.decideService(d, local, state.W, now))
}

// writeHeadless answers a headless service's clusterset name from the
// ready endpoints of the nearest level's exporting clusters: the local
// cluster's when it has any, else those of the client's zone, region, or
// anywhere, as far as the services' scope lets the walk go. It returns
// the level answered, for the metrics.
func (f *Federation) writeHeadless(m *dns.Msg, state request.Request, n federation.ClustersetName, exporters []Exporter) string {
	chosen, level := f.nearestExporters(state, exporters)
	if len(chosen) == 0 {
		m.Rcode = dns.RcodeNameError
		return levelNone
	}
	qtype := state.QType()
	if n.Port == (federation.PortLabels{}) && qtype != dns.TypeSRV {
		for _, e := range chosen {
			m.Answer = append(m.Answer, addressRecords(f, owner(state), qtype, e.View.Shard.Addresses)...)
		}
		return level
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
	return level
}

// nearestExporters returns the exporting clusters of a headless service
// whose ready endpoints answer (SPEC 12): the local cluster when its shard
// is healthy, else the members at the nearest level with a healthy shard
// (federation.Route, the walk of federated names), and that level.
func (f *Federation) nearestExporters(state request.Request, exporters []Exporter) ([]Exporter, string) {
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
	topo, _, err := f.clientTopology(clientAddr(state.W))
	if err != nil {
		topo = federation.Topology{} // where the client is is unknown: the global level
	}
	level, region, found := federation.Route(shards, topo.Zone, topo.Region, exporters[0].View.Shard.Policy.PreferRegions, scope)
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
	for _, e := range f.clusters.Exporters(n.Namespace, n.Service, local, now) {
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
			break
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
