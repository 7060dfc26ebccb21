package plugin

import (
	"context"
	"net"
	"net/netip"
	"time"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// ServeDNS implements the plugin.Handler interface.
func (f *Federation) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	state := request.Request{W: w, Req: r}
	if len(r.Question) == 1 && isTransfer(state.QType()) && f.notifier == nil && matchZone(f.cfg.Authority, state.Name()) != "" {
		// No transfer plugin in the server: the zone is not transferred,
		// and its transfer is sent nowhere further down the chain.
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeRefused)
		return dns.RcodeRefused, w.WriteMsg(m)
	}
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 || state.QClass() != dns.ClassINET || isTransfer(state.QType()) {
		// Zone transfers are the transfer plugin's, which asks Transfer.
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	qname := state.Name()
	if z := f.cfg.Clusterset.Zone; z != "" && inZone(qname, z) {
		return f.serveClusterset(ctx, state)
	}
	if domain := matchZone(f.cfg.Authority, qname); domain != "" {
		return f.serveZone(ctx, state, domain)
	}
	zone := matchZone(f.cfg.Zones, qname)
	if zone == "" {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	if explained, ok := f.explained(state); ok {
		return f.serveExplain(ctx, state, explained, zone)
	}
	return f.answer(ctx, state, zone, f.decide(qname, zone, w, time.Now()))
}

// isTransfer reports whether qtype asks for a zone transfer.
func isTransfer(qtype uint16) bool { return qtype == dns.TypeAXFR || qtype == dns.TypeIXFR }

// answer writes the answer decided by d (SPEC 3).
func (f *Federation) answer(ctx context.Context, state request.Request, zone string, d decision) (int, error) {
	switch d.path {
	case pathNext, pathEndpoint:
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, state.W, state.Req)
	case pathServfail:
		f.count(ctx, d.name.Federation, levelNone)
		return dns.RcodeServerFailure, d.err
	}
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	switch {
	case d.path == pathLocal:
		f.writeLocal(m, state, d, zone)
		f.negativeSOA(m, zone)
	case d.inProcess:
		m.Answer = append(m.Answer, f.cnameRecord(owner(state), d.target))
		if state.QType() != dns.TypeCNAME {
			at := federation.DomainName{Kind: federation.AtLevel, Service: d.name, Level: d.level, Zone: d.topo.Zone, Region: d.region, Port: d.port}
			f.writeWalk(m, d.target, state.QType(), walkLevels(at, d.shards, d.scope), d.domain)
			f.negativeSOA(m, d.domain)
		}
	default:
		ctx = withChainCut(ctx)
		f.chase(ctx, state, m, d.target)
	}
	level := d.metricLevel()
	if f.boundChain(ctx, m, state) {
		level = levelNone
	}
	f.count(ctx, d.name.Federation, level)
	if d.path == pathCNAME && chainDepth(ctx) == 0 {
		known := "false"
		if d.clientNode != "" {
			known = "true"
		}
		clientZones.WithLabelValues(metrics.WithServer(ctx), known).Inc()
	}
	if err := state.W.WriteMsg(m); err != nil {
		return dns.RcodeSuccess, err
	}
	return dns.RcodeSuccess, nil
}

// writeLocal writes the healthy local shard's answer to d's question:
// its addresses, or its SRV records (SPEC 3.1, 12.1), whose targets are
// the service's own name for a ClusterIP service and the endpoints' names
// in the cluster zone for a headless one.
func (f *Federation) writeLocal(m *dns.Msg, state request.Request, d decision, zone string) {
	qtype := state.QType()
	if d.port == (federation.PortLabels{}) && qtype != dns.TypeSRV {
		m.Answer = addressRecords(f, owner(state), qtype, d.shard.AddressesIn(d.topo.Zone, qtype == dns.TypeAAAA))
		return
	}
	self := d.self
	if self == "" {
		self = dnsutil.Join(d.name.Service, d.name.Namespace, d.name.Federation, "svc", zone)
	}
	targets := []srvTarget{{name: self, addrs: d.shard.Addresses}}
	if d.shard.Kind == federation.Headless {
		targets = endpointTargets(d.shard, func(host string) string {
			return dnsutil.Join(host, d.name.Service, d.name.Namespace, "svc", zone)
		})
	}
	f.writeSRV(m, owner(state), qtype, d.port, d.shard.Ports, targets)
}

// endpointTargets returns the SRV targets of a headless shard's
// endpoints, named by name from each endpoint's hostname, each with the
// ports of its own EndpointSlice; the addresses of one name (a dual-stack
// pod) go together.
func endpointTargets(s federation.Shard, name func(host string) string) []srvTarget {
	var targets []srvTarget
	at := map[string]int{}
	for i, a := range s.Addresses {
		n := name(s.Hostname(i))
		if j, ok := at[n]; ok {
			targets[j].addrs = append(targets[j].addrs, a)
			targets[j].ports = federation.MergePorts(targets[j].ports, s.PortsOf(i))
			continue
		}
		at[n] = len(targets)
		targets = append(targets, srvTarget{name: n, addrs: []netip.Addr{a}, ports: s.PortsOf(i)})
	}
	return targets
}

// clientAddr is the address the question came from, or the zero Addr.
func clientAddr(w dns.ResponseWriter) netip.Addr {
	var ip net.IP
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		if a != nil {
			ip = a.IP
		}
	case *net.TCPAddr:
		if a != nil {
			ip = a.IP
		}
	default:
		return netip.Addr{}
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// count counts a question of federation fed answered at level. Only the
// client's own question counts: a chase that re-enters the server for a
// CNAME target is part of its answer.
func (f *Federation) count(ctx context.Context, fed, level string) {
	if chainDepth(ctx) == 0 {
		resolutions.WithLabelValues(metrics.WithServer(ctx), fed, level).Inc()
	}
}

// Name implements the plugin.Handler interface.
func (f *Federation) Name() string { return PluginName }
