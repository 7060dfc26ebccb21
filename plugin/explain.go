package plugin

import (
	"context"
	"fmt"
	"strings"
	"time"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// explainLabel prefixes a federated name in a TXT question that asks why the
// name resolves as it does; only with the explain property.
const explainLabel = "_explain."

// explained returns the name an _explain.<name> TXT question asks about,
// and whether the question is one.
func (f *Federation) explained(state request.Request) (string, bool) {
	qname := state.Name()
	if !f.cfg.Explain || state.QType() != dns.TypeTXT || !strings.HasPrefix(qname, explainLabel) {
		return "", false
	}
	return strings.TrimPrefix(qname, explainLabel), true
}

// serveExplain answers _explain.<name> TXT with the decision behind name's
// answer, rendered as text: the local shard, the local topology, each
// member's state and shard, and the answer's path and level (the level label
// the answer is counted under). A name that is not federated is not
// explained: the question goes to the next plugin.
func (f *Federation) serveExplain(ctx context.Context, state request.Request, qname, zone string) (int, error) {
	now := time.Now()
	d := f.decide(qname, zone, state.W, now)
	if d.path == pathNext {
		return coreplugin.NextOrFailure(f.Name(), f.Next, ctx, state.W, state.Req)
	}
	return f.writeExplain(state, f.explainLines(d, state.W, now))
}

// explainLines renders the decision d for the client that asked through w.
func (f *Federation) explainLines(d decision, w dns.ResponseWriter, now time.Time) []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	n := d.name
	add("local shard %s/%s: %s, healthy %v, addresses %v; caches synced %v", n.Namespace, n.Service, kindName(d.shard.Kind), d.shard.Healthy, d.shard.Addresses, f.clusters.LocalSynced())
	if topo, err := f.topology(); err != nil {
		add("local topology: unknown: %v", err)
	} else {
		add("local topology: zone %s, region %s", topo.Zone, topo.Region)
	}
	switch {
	case d.path == pathLocal && d.shard.SameZone && d.topo.Zone != "":
		add("trafficDistribution prefers the client's zone %s: A %v, AAAA %v", d.topo.Zone, d.shard.AddressesIn(d.topo.Zone, false), d.shard.AddressesIn(d.topo.Zone, true))
	case d.path == pathLocal && d.shard.SameZone:
		add("trafficDistribution prefers the client's zone; neither it nor the local zone is known: all addresses")
	}
	switch {
	case d.path != pathCNAME && (d.path != pathLocal || !d.shard.SameZone):
		// The answer does not depend on the client's zone.
	case d.clientNode != "":
		add("client %s: on node %s, zone %s, region %s (SPEC 5.3)", clientAddr(w), d.clientNode, d.topo.Zone, d.topo.Region)
	default:
		add("client %s: on no known node: the local topology", clientAddr(w))
	}
	if p := d.shard.Policy; p.MinReady > 0 || len(p.PreferRegions) > 0 || d.scope != federation.LevelNone {
		add("policy: min-ready %d, prefer-regions %v, scope %s (the narrowest of the local service's and the shards')", max(1, p.MinReady), p.PreferRegions, max(d.scope, federation.LevelGlobal))
	}
	for _, m := range f.clusters.Members(n.Namespace, n.Service, now) {
		api := "answers"
		if !m.DownSince.IsZero() {
			api = fmt.Sprintf("silent for %.0fs", now.Sub(m.DownSince).Seconds())
		}
		shard := "no published shard"
		if m.Published {
			shard = fmt.Sprintf("shard in region %s, zones %v, ingress %v", m.Shard.Region, m.Shard.Zones, m.Shard.Ingress)
			if len(m.Shard.Hostnames) > 0 {
				shard += fmt.Sprintf(", hostnames %v resolved to %v", m.Shard.Hostnames, m.Resolved)
			}
		}
		add("member %s: synced %v, API %s, shards count %v, data changed %.0fs ago; %s",
			m.Name, m.Synced, api, m.Usable, now.Sub(m.LastChange).Seconds(), shard)
	}
	answer := fmt.Sprintf("answer: %s level=%s", d.path, d.metricLevel())
	if d.target != "" && (d.path == pathCNAME || d.path == pathExternalName) {
		answer += " target=" + d.target
	}
	add("%s: %s", answer, d.why)
	return lines
}

// writeExplain answers an _explain question with lines, a TXT record each.
func (f *Federation) writeExplain(state request.Request, lines []string) (int, error) {
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	for _, l := range lines {
		m.Answer = append(m.Answer, &dns.TXT{Hdr: f.header(owner(state), dns.TypeTXT), Txt: split255(l)})
	}
	return dns.RcodeSuccess, state.W.WriteMsg(m)
}

func kindName(k federation.Kind) string {
	return [...]string{"missing", "ClusterIP", "headless", "ExternalName"}[k]
}

// split255 cuts s into the 255-byte strings a TXT record holds.
func split255(s string) []string {
	var out []string
	for len(s) > 255 {
		out, s = append(out, s[:255]), s[255:]
	}
	return append(out, s)
}
