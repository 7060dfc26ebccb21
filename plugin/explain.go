package plugin

import (
	"fmt"
	"strings"
	"time"

	"github.com/coredns/coredns/request"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// explainLabel prefixes a federated name in a TXT question that asks why the
// name resolves as it does; only with the explain property.
const explainLabel = "_explain."

// explain answers _explain.<federated name> TXT with the chain behind the
// name's answer: the local shard, the local topology, each member's state
// and shard, and the answer chosen. It reports false when the question is
// not one.
func (f *Federation) explain(state request.Request, zone string) (*dns.Msg, bool) {
	qname := state.Name()
	if !f.Explain || state.QType() != dns.TypeTXT || !strings.HasPrefix(qname, explainLabel) {
		return nil, false
	}
	name, ok := federation.ParseName(strings.TrimPrefix(qname, explainLabel), zone)
	if !ok {
		return nil, false
	}
	domain, ok := f.Federations[name.Federation]
	if !ok {
		return nil, false
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	now := time.Now()
	shard := f.Local.Shard(name.Namespace, name.Service)
	add("local shard %s/%s: %s, healthy %v, addresses %v; caches synced %v", name.Namespace, name.Service, kindName(shard.Kind), shard.Healthy, shard.Addresses, f.Local.HasSynced())
	topo, err := f.topology()
	if err != nil {
		add("local topology: unknown: %v", err)
	} else {
		add("local topology: zone %s, region %s", topo.Zone, topo.Region)
	}
	for _, m := range f.Members {
		s, published := m.PublishedShard(name.Namespace, name.Service)
		since, _ := m.Down()
		api := "answers"
		if !since.IsZero() {
			api = fmt.Sprintf("silent for %.0fs", now.Sub(since).Seconds())
		}
		shardText := "no published shard"
		if published {
			shardText = fmt.Sprintf("shard in region %s, zones %v, ingress %v", s.Region, s.Zones, s.Ingress)
			if len(s.Hostnames) > 0 && f.Hostnames != nil {
				shardText += fmt.Sprintf(", hostnames %v resolved to %v", s.Hostnames, f.Hostnames.Addresses(nil, s.Hostnames))
			}
		}
		add("member %s: synced %v, API %s, shards count %v, data changed %.0fs ago; %s",
			m.Name, m.HasSynced(), api, m.Usable(now), now.Sub(m.LastChange()).Seconds(), shardText)
	}
	switch {
	case !f.Local.HasSynced():
		add("answer: SERVFAIL, the local caches have not synced")
	case shard.Kind == federation.ExternalName:
		add("answer: CNAME to the external name %s", shard.ExternalName)
	case shard.Healthy:
		add("answer: the local shard's addresses")
	case err != nil:
		add("answer: SERVFAIL, the local zone or region is unknown")
	default:
		l, _, known := f.nearest(name, topo)
		add("answer: CNAME to %s (level %s, the nearest with a healthy shard: %v)", name.LevelName(l, topo.Zone, topo.Region, domain), l, known)
	}

	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	for _, l := range lines {
		m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: owner(state), Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: split255(l)})
	}
	return m, true
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
