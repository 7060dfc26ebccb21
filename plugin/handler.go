package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/request"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

var (
	errUnsynced        = errors.New("federation: local cluster caches not synced")
	errUnknownTopology = errors.New("federation: local zone or region unknown")
	errNameTooLong     = errors.New("federation: CNAME target longer than 255 octets")
)

// ServeDNS implements the plugin.Handler interface.
func (f *Federation) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	state := request.Request{W: w, Req: r}
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 || state.QClass() != dns.ClassINET {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	qname := state.Name()
	if domain := matchZone(f.Authority, qname); domain != "" {
		return f.serveZone(ctx, state, domain)
	}
	zone := matchZone(f.Zones, qname)
	if zone == "" {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	if m, ok := f.explain(state, zone); ok {
		return dns.RcodeSuccess, w.WriteMsg(m)
	}
	name, ok := federation.ParseName(qname, zone)
	if !ok {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	domain, ok := f.Federations[name.Federation]
	if !ok {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}
	// Only the client's own question counts: a chase that re-enters the
	// server for a CNAME target is part of its answer.
	counted, server := chainDepth(ctx) == 0, metrics.WithServer(ctx)
	if !f.Local.HasSynced() {
		if counted {
			resolutions.WithLabelValues(server, name.Federation, levelNone).Inc()
		}
		return dns.RcodeServerFailure, errUnsynced
	}
	if f.isEndpointName(name) {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, w, r)
	}

	shard := f.Local.Shard(name.Namespace, name.Service)
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	level := levelLocal
	switch {
	case shard.Kind == federation.ExternalName:
		f.cname(ctx, state, m, dns.Fqdn(shard.ExternalName))
	case shard.Healthy:
		f.local(m, state, zone, shard)
	default:
		l, err := f.failover(ctx, state, m, name, domain)
		if err != nil {
			if counted {
				resolutions.WithLabelValues(server, name.Federation, levelNone).Inc()
			}
			return dns.RcodeServerFailure, err
		}
		level = l.String()
	}
	if f.boundChain(m, state) {
		level = levelNone
	}
	if counted {
		resolutions.WithLabelValues(server, name.Federation, level).Inc()
	}
	if err := w.WriteMsg(m); err != nil {
		return dns.RcodeSuccess, err
	}
	return dns.RcodeSuccess, nil
}

// failover answers for an unhealthy local shard with a CNAME to the nearest
// level that has a healthy shard (SPEC 3.2, 3.3) and returns that level. A
// target in this plugin's own federation zone is answered from the shards at
// hand, as the chase through the server would; any other is chased.
func (f *Federation) failover(ctx context.Context, state request.Request, m *dns.Msg, name federation.Name, domain string) (federation.Level, error) {
	topo, err := f.topology()
	if err != nil {
		f.warnings.warning("topology:"+err.Error(), "cannot answer federated names with a CNAME: "+err.Error())
		return federation.LevelNone, errUnknownTopology
	}
	l, shards, known := f.nearest(name, topo)
	target := name.LevelName(l, topo.Zone, topo.Region, domain)
	if len(target) > maxNameLength {
		f.warnings.warning("long:"+name.Federation, fmt.Sprintf("cannot answer %s: its CNAME target at the %s level is longer than 255 octets", state.Name(), l))
		return federation.LevelNone, errNameTooLong
	}
	if !known || !slices.Contains(f.Authority, domain) {
		f.cname(ctx, state, m, target)
		return l, nil
	}
	m.Answer = append(m.Answer, f.cnameRecord(owner(state), target))
	if state.QType() != dns.TypeCNAME {
		at := federation.ZoneName{Kind: federation.LevelName, Name: name, Level: l, Zone: topo.Zone, Region: topo.Region}
		f.answerLevel(m, target, state.QType(), at, shards, domain)
		f.negativeSOA(m, domain)
	}
	return l, nil
}

// nearest returns the level the CNAME of an unhealthy local shard points at
// (SPEC 3.2): with members whose state is known, the nearest level with a
// healthy shard, else the global level; without, the zone level, from which
// the federation zone walks up by itself. known reports whether the shards
// returned are the members' settled state.
func (f *Federation) nearest(name federation.Name, topo federation.Topology) (l federation.Level, shards []federation.PublishedShard, known bool) {
	now := time.Now()
	if len(f.Members) == 0 || !f.settled(now) {
		return federation.LevelZone, nil, false
	}
	shards = f.shards(name.Namespace, name.Service, now, f.Local)
	l = federation.Nearest(shards, federation.LevelZone, topo.Zone, topo.Region)
	if l == federation.LevelNone {
		l = federation.LevelGlobal
	}
	return l, shards, true
}

// Name implements the plugin.Handler interface.
func (f *Federation) Name() string { return Name }
