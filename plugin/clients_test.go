package plugin

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// testClient is the address test.ResponseWriter asks from.
var testClient = netip.MustParseAddr("10.240.0.1")

// TestClientZoneStartsTheWalk: the walk starts at the zone of the node the
// asking client runs on (SPEC 5.3), not CoreDNS's own: with a shard in
// each of two zones of the region and the local shard down, a client on a
// node of zone z2 is sent to z2's level; a client that maps to no node, or
// to a node without a valid zone, to the local zone's (z1); explain says
// which, and the metric counts it.
func TestClientZoneStartsTheWalk(t *testing.T) {
	z2 := "web.ns.myfed.svc.z2.r1.example.com."
	shards := map[string][]federation.PublishedShard{"ns/web": {
		published("m1", "r1", "z1", "203.0.113.1"), published("m2", "r1", "z2", "203.0.113.2"),
	}}
	for _, tc := range []struct {
		name    string
		client  federation.Client
		known   bool
		answer  []dns.RR
		explain string
	}{
		{"a client on a node of z2", federation.Client{Node: "node-b", Topology: federation.Topology{Zone: "z2", Region: "r1"}}, true,
			[]dns.RR{cnameTo(web, z2), test.A(z2 + " 17 IN A 203.0.113.2")}, "client 10.240.0.1: on node node-b, zone z2, region r1"},
		{"a client on no known node", federation.Client{}, false,
			[]dns.RR{cnameTo(web, webZone), test.A(webZone + " 17 IN A 203.0.113.1")}, "client 10.240.0.1: on no known node"},
		{"a client on a node without a zone", federation.Client{Node: "node-c", Topology: federation.Topology{Region: "r1"}}, true,
			[]dns.RR{cnameTo(web, webZone), test.A(webZone + " 17 IN A 203.0.113.1")}, "client 10.240.0.1: on no known node"},
	} {
		caches := &stubClusters{members: []string{"m1", "m2"}, published: shards}
		if tc.known {
			caches.clients = map[netip.Addr]federation.Client{testClient: tc.client}
		}
		f := tableFederation(caches)
		knownBefore := counter(clientZones.WithLabelValues("", "true"))
		m := new(dns.Msg)
		m.SetQuestion(web, dns.TypeA)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		f.ServeDNS(context.Background(), rec, m)
		if rec.Msg == nil {
			t.Fatalf("%s: expected an answer", tc.name)
		}
		if err := check(rec.Msg, test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: tc.answer}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		wantKnown := 0.0
		if tc.client.Topology.Zone != "" {
			wantKnown = 1
		}
		if got := counter(clientZones.WithLabelValues("", "true")) - knownBefore; got != wantKnown {
			t.Errorf("%s: expected client_zones_total{known=true} to grow by %v, got %v", tc.name, wantKnown, got)
		}
		if got := explainText(t, f, web); !strings.Contains(got, tc.explain) {
			t.Errorf("%s: expected explain to say %q, got %q", tc.name, tc.explain, got)
		}
	}
}

// explainText is f's whole explanation of qname.
func explainText(t *testing.T, f *Federation, qname string) string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(explainLabel+qname, dns.TypeTXT)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := f.ServeDNS(context.Background(), rec, m); err != nil || rec.Msg == nil {
		t.Fatalf("Expected an explanation of %s, got %v", qname, err)
	}
	lines := make([]string, 0, len(rec.Msg.Answer))
	for _, rr := range rec.Msg.Answer {
		lines = append(lines, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return strings.Join(lines, "\n")
}
