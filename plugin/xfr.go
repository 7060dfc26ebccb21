package plugin

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// Transfer implements transfer.Transferer for each federation DOMAIN the
// plugin serves with members (SPEC 13.1): the zone as the plugin answers
// it, SOA first and last. An IXFR from the current serial or later gets
// the SOA alone; any other, the whole zone (RFC 1995's fallback).
func (f *Federation) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	domain := strings.ToLower(dns.Fqdn(zone))
	if !slices.Contains(f.cfg.Authority, domain) {
		return nil, transfer.ErrNotAuthoritative
	}
	rrs, current, taken := f.serials.snapshot(domain)
	if !taken {
		f.refreshZones(time.Now())
		if rrs, current, taken = f.serials.snapshot(domain); !taken {
			return nil, errUnsettled // SERVFAIL: never a zone built from caches that are not known
		}
	}
	// The records the serial was taken of: a transfer never sends a zone
	// under the serial of another.
	soa := f.soa(domain)
	soa.(*dns.SOA).Serial = current
	ch := make(chan []dns.RR, 3)
	defer close(ch)
	if serial != 0 && !serialBefore(serial, current) {
		ch <- []dns.RR{soa}
		return ch, nil
	}
	ch <- []dns.RR{soa}
	ch <- rrs
	ch <- []dns.RR{soa}
	return ch, nil
}

// serialBefore reports whether serial a comes before b in RFC 1982's
// serial number arithmetic.
func serialBefore(a, b uint32) bool { return a != b && b-a < 1<<31 }

// zoneRecords returns every record of the federation zone under domain
// but its SOA, as the plugin answers at now: the apex NS and its name
// server's addresses, then, for each federation of the domain and each
// Service with a published shard, every level name of the known zones and
// regions (the members' Nodes' and the local cluster's: never the zones an
// EndpointSlice claims, which a tenant writes) with
// its addresses and SRV records, or the CNAME of its walk's first step; a
// level whose walk ends NXDOMAIN has no record. The plugin answers a level
// of any zone and region; a zone holds the known ones. Names are ordered,
// so the same answers give the same records.
func (f *Federation) zoneRecords(domain string, now time.Time) []dns.RR {
	ns := nameServer(domain)
	rrs := make([]dns.RR, 0, 16)
	rrs = append(rrs, &dns.NS{Hdr: f.header(domain, dns.TypeNS), Ns: ns})
	rrs = append(rrs, addressRecords(f, ns, dns.TypeA, f.nameServerAddrs())...)
	rrs = append(rrs, addressRecords(f, ns, dns.TypeAAAA, f.nameServerAddrs())...)
	keys := f.clusters.PublishedServices(now)
	type service struct {
		key    federation.ServiceKey
		shards []federation.PublishedShard
		scope  federation.Level
	}
	services := make([]service, 0, len(keys))
	places := map[federation.Topology]bool{}
	known := f.clusters.Places(now)
	if t, err := f.topology(); err == nil {
		known = append(known, t)
	}
	for _, t := range known {
		places[t], places[federation.Topology{Region: t.Region}] = true, true
	}
	for _, k := range keys {
		shards, scope := f.clusters.Shards(k.Namespace, k.Name, f.clusters.Local(k.Namespace, k.Name), now)
		if len(shards) == 0 {
			continue
		}
		services = append(services, service{k, shards, scope})
	}
	// The levels of the known places: global, each region, each zone.
	levels := []federation.DomainName{{Level: federation.LevelGlobal}}
	for _, p := range sortedPlaces(places) {
		if p.Region == "" {
			continue
		}
		if p.Zone == "" {
			levels = append(levels, federation.DomainName{Level: federation.LevelRegion, Region: p.Region})
		} else {
			levels = append(levels, federation.DomainName{Level: federation.LevelZone, Zone: p.Zone, Region: p.Region})
		}
	}
	for _, fed := range f.federationsOf(domain) {
		for _, s := range services {
			name := federation.ServiceName{Service: s.key.Name, Namespace: s.key.Namespace, Federation: fed}
			ports := federation.Ports(s.shards, federation.LevelGlobal, "", "")
			for _, l := range levels {
				at := l
				at.Kind, at.Service = federation.AtLevel, name
				rrs = append(rrs, f.levelRecords(at, walkLevels(at, s.shards, s.scope), ports, domain)...)
			}
		}
	}
	return rrs
}

// levelRecords returns the records of the level name at, whose walk is w:
// the CNAME of its first step, for its bare name and each named port of
// the service (ports), or its addresses and SRV records.
func (f *Federation) levelRecords(at federation.DomainName, w walk, ports []federation.Port, domain string) []dns.RR {
	owner := at.Service.LevelName(at.Level, at.Zone, at.Region, domain)
	if len(owner) > MaxNameLength {
		return nil // a name no answer can carry (SPEC 6.4)
	}
	if w.n > 1 {
		next := at.Service.LevelName(w.levels[1], at.Zone, at.Region, domain)
		rrs := []dns.RR{f.cnameRecord(owner, next)}
		for _, p := range ports {
			l := federation.PortLabels{Name: p.Name, Protocol: p.Protocol}
			if p.Name != "" && len(l.Prefix()+owner) <= MaxNameLength && len(l.Prefix()+next) <= MaxNameLength {
				rrs = append(rrs, f.cnameRecord(l.Prefix()+owner, l.Prefix()+next))
			}
		}
		return rrs
	}
	if len(w.addrs) == 0 {
		return nil
	}
	m := new(dns.Msg)
	m.Answer = append(addressRecords(f, owner, dns.TypeA, w.addrs), addressRecords(f, owner, dns.TypeAAAA, w.addrs)...)
	target := []srvTarget{{name: owner}}
	levelPorts := w.ports()
	f.writeSRV(m, owner, dns.TypeSRV, federation.PortLabels{}, levelPorts, target)
	for _, p := range levelPorts {
		if l := (federation.PortLabels{Name: p.Name, Protocol: p.Protocol}); p.Name != "" && len(l.Prefix()+owner) <= MaxNameLength && !slices.ContainsFunc(m.Answer, func(rr dns.RR) bool { return rr.Header().Name == l.Prefix()+owner }) {
			f.writeSRV(m, l.Prefix()+owner, dns.TypeSRV, l, levelPorts, target)
		}
	}
	return m.Answer
}

// sortedPlaces returns the places in a fixed order: by region, then zone.
func sortedPlaces(places map[federation.Topology]bool) []federation.Topology {
	out := make([]federation.Topology, 0, len(places))
	for p := range places {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b federation.Topology) int {
		if c := strings.Compare(a.Region, b.Region); c != 0 {
			return c
		}
		return strings.Compare(a.Zone, b.Zone)
	})
	return out
}

// federationsOf returns, sorted, the federations whose DOMAIN is domain.
func (f *Federation) federationsOf(domain string) []string {
	var feds []string
	for name, d := range f.cfg.Federations {
		if d == domain {
			feds = append(feds, name)
		}
	}
	slices.Sort(feds)
	return feds
}

// nameServerAddrs are the addresses of ns.dns.<domain> in a transfer,
// which no question's arrival address tells: those the server listens on,
// or this host's global unicast addresses on a wildcard (SPEC 4.4).
func (f *Federation) nameServerAddrs() []netip.Addr {
	if len(f.listen) > 0 {
		return f.listen
	}
	return hostAddresses()
}
