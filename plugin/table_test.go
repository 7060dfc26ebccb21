package plugin

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// tableCase is a question asked of the plugin over caches that hold what
// the case says, the answer it must get, and how explain must tell it.
type tableCase struct {
	test.Case
	caches *stubClusters
	rcode  int    // returned without a written answer (SERVFAIL, or the next plugin's NOTIMP); 0: written
	path   string // what explain says: "answer: <path> level=<level>"
	level  string
}

func healthy(addrs ...string) federation.Shard {
	s := federation.Shard{Kind: federation.ClusterIP, Healthy: true}
	for _, a := range addrs {
		s.Addresses = append(s.Addresses, netip.MustParseAddr(a))
	}
	return s
}

func published(cluster, region, zone, ip string) federation.PublishedShard {
	return federation.PublishedShard{Cluster: cluster, Region: region, Zones: []string{zone}, Ingress: []netip.Addr{netip.MustParseAddr(ip)}}
}

const (
	webRegion = "web.ns.myfed.svc.r1.example.com."
	webGlob   = "web.ns.myfed.svc.example.com."
)

var exampleSOA = test.SOA("example.com. 17 IN SOA ns.dns.example.com. hostmaster.example.com. 1 7200 1800 86400 17")

// handlerTable covers every path of decide and of the federation zone.
var handlerTable = []tableCase{
	// The local shard is healthy: its addresses, or NODATA.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(web + " 17 IN A 10.0.0.1")}},
		caches: &stubClusters{local: map[string]federation.Shard{"ns/web": healthy("10.0.0.1")}}, path: "local", level: "local"},
	{Case: test.Case{Qname: web, Qtype: dns.TypeAAAA, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		caches: &stubClusters{local: map[string]federation.Shard{"ns/web": healthy("10.0.0.1")}}, path: "local", level: "local"},
	// An ExternalName service: its CNAME, chased (the stand-in upstream
	// has no such name).
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
		Answer: []dns.RR{cnameTo(web, "db.example.net.")}, Ns: []dns.RR{test.SOA("example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60")}},
		caches: &stubClusters{local: map[string]federation.Shard{"ns/web": {Kind: federation.ExternalName, Healthy: true, ExternalName: "DB.example.net"}}},
		path:   "externalname", level: "local"},
	// No members: the zone level, chased through the server.
	{Case: unhealthy, caches: &stubClusters{}, path: "cname", level: "zone"},
	// Members not all known yet: the zone level too.
	{Case: unhealthy, caches: &stubClusters{members: []string{"m1"}, unsettled: true}, path: "cname", level: "zone"},
	// Members known: the nearest level with a healthy shard, answered in
	// process from the shards at hand.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(web, webRegion), test.A(webRegion + " 17 IN A 203.0.113.2")}},
		caches: &stubClusters{members: []string{"m1"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m1", "r1", "z2", "203.0.113.2")}}},
		path:   "cname", level: "region"},
	{Case: test.Case{Qname: web, Qtype: dns.TypeTXT, Authoritative: true, Answer: []dns.RR{cnameTo(web, webRegion)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m1"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m1", "r1", "z2", "203.0.113.2")}}},
		path:   "cname", level: "region"},
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(web, webGlob)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m1"}}, path: "cname", level: "global"},
	// Policy (SPEC 10). prefer-regions on the local Service: the first
	// preferred region with a shard, before global.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		cnameTo(web, "web.ns.myfed.svc.r3.example.com."), test.A("web.ns.myfed.svc.r3.example.com. 17 IN A 203.0.113.3")}},
		caches: &stubClusters{members: []string{"m2", "m3"},
			local:     map[string]federation.Shard{"ns/web": {Kind: federation.ClusterIP, Policy: federation.Policy{PreferRegions: []string{"r9", "r3"}}}},
			published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2"), published("m3", "r3", "z4", "203.0.113.3")}}},
		path: "cname", level: "region"},
	// scope region on a shard: the walk never leaves the region; without a
	// shard there the answer ends NXDOMAIN at the region level.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(web, webRegion)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m2"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2")}}, scope: federation.LevelRegion},
		path:   "cname", level: "region"},
	// A scope of zone (on a shard that is itself failing over, say): a
	// healthy shard in another zone of the region is out of scope.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(web, webZone)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m2"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r1", "z2", "203.0.113.2")}}, scope: federation.LevelZone},
		path:   "cname", level: "zone"},
	// ... and in the federation zone, while the global level asked directly
	// answers as its shards say (SPEC 10.2).
	{Case: test.Case{Qname: webZone, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(webZone, webRegion)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m2"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2")}}, scope: federation.LevelRegion}},
	{Case: test.Case{Qname: webGlob, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(webGlob + " 17 IN A 203.0.113.2")}},
		caches: &stubClusters{members: []string{"m2"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2")}}, scope: federation.LevelRegion}},
	// An endpoint name of a headless service in a namespace named like the
	// federation (SPEC 1.3): the next plugin.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA}, rcode: dns.RcodeNotImplemented,
		caches: &stubClusters{headless: map[string]bool{"myfed/ns": true}}, path: "next", level: "none"},
	// No answer can be given: SERVFAIL.
	{Case: test.Case{Qname: web, Qtype: dns.TypeA}, rcode: dns.RcodeServerFailure,
		caches: &stubClusters{unsynced: true}, path: "servfail", level: "none"},
	{Case: test.Case{Qname: web, Qtype: dns.TypeA}, rcode: dns.RcodeServerFailure,
		caches: &stubClusters{topoErr: errors.New("no node")}, path: "servfail", level: "none"},
	// A node whose zone label is not valid still gives its region, which
	// the Corefile's zone completes.
	{Case: test.Case{Qname: web, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{cnameTo(web, "web.ns.myfed.svc.zc.r9.example.com.")}},
		caches: &stubClusters{topo: federation.Topology{Region: "r9"}, topoErr: errors.New("node label topology.kubernetes.io/zone=\"rack_1\" is not a DNS label"), corefileZone: "zc"}, path: "cname", level: "zone"},
	// The federation zone: a level with addresses, the walk up, the apex,
	// an empty non-terminal, a name no level has, members not known yet.
	{Case: test.Case{Qname: webRegion, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(webRegion + " 17 IN A 203.0.113.2")}},
		caches: &stubClusters{members: []string{"m1"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m1", "r1", "z2", "203.0.113.2")}}}},
	{Case: test.Case{Qname: webZone, Qtype: dns.TypeMX, Authoritative: true, Answer: []dns.RR{cnameTo(webZone, webRegion)}, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m1"}, published: map[string][]federation.PublishedShard{"ns/web": {published("m1", "r1", "z2", "203.0.113.2")}}}},
	{Case: test.Case{Qname: webZone, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
		Answer: []dns.RR{cnameTo(webRegion, webGlob), cnameTo(webZone, webRegion)}, Ns: []dns.RR{exampleSOA}}, // sorted, as SortAndCheck compares
		caches: &stubClusters{members: []string{"m1"}}},
	{Case: test.Case{Qname: "example.com.", Qtype: dns.TypeNS, Authoritative: true, Answer: []dns.RR{test.NS("example.com. 17 IN NS ns.dns.example.com.")}},
		caches: &stubClusters{members: []string{"m1"}}},
	{Case: test.Case{Qname: "svc.r1.example.com.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m1"}}},
	{Case: test.Case{Qname: "x." + webGlob, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{exampleSOA}},
		caches: &stubClusters{members: []string{"m1"}}},
	{Case: test.Case{Qname: webRegion, Qtype: dns.TypeA}, rcode: dns.RcodeServerFailure,
		caches: &stubClusters{members: []string{"m1"}, unsettled: true}},
}

// tableFederation is the plugin of the unit tests over caches: topology
// z1/r1 from the node, the federation zone served when members are listed.
func tableFederation(caches *stubClusters) *Federation {
	cfg := testConfig(federation.Topology{Zone: caches.corefileZone}, "node-1")
	cfg.Explain = true
	if caches.topoErr == nil {
		caches.topo = topo
	}
	if caches.HasMembers() {
		cfg.Authority = []string{"example.com."}
	}
	f := newFederation(cfg, caches, zoneUpstream{})
	f.Next = test.NextHandler(dns.RcodeNotImplemented, nil)
	return f
}

// TestHandlerTable asks every case of handlerTable, then, for in-cluster
// names, asks _explain.<name> and checks that explain tells the path and
// level of the answer just given.
func TestHandlerTable(t *testing.T) {
	for i, tc := range handlerTable {
		f := tableFederation(tc.caches)
		m := new(dns.Msg)
		m.SetQuestion(tc.Qname, tc.Qtype)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, _ := f.ServeDNS(context.Background(), rec, m)
		switch {
		case tc.rcode != 0:
			if rec.Msg != nil || rcode != tc.rcode {
				t.Errorf("Test %d, %s: expected rcode %s with nothing written, got %s %v", i, tc.Qname, dns.RcodeToString[tc.rcode], dns.RcodeToString[rcode], rec.Msg)
			}
		case rec.Msg == nil:
			t.Errorf("Test %d, %s: expected an answer, got rcode %s", i, tc.Qname, dns.RcodeToString[rcode])
		default:
			if err := check(rec.Msg, tc.Case); err != nil {
				t.Errorf("Test %d, %s %s: %v", i, tc.Qname, dns.TypeToString[tc.Qtype], err)
			}
		}
		if tc.path == "" {
			continue // a name of the federation zone: not explained
		}
		got := explainAnswer(t, f, tc.Qname)
		if want := "answer: " + tc.path + " level=" + tc.level; !strings.HasPrefix(got, want) {
			t.Errorf("Test %d, %s: expected explain to say %q, got %q", i, tc.Qname, want, got)
		}
	}
}

// explainAnswer is the answer line of f's explanation of qname.
func explainAnswer(t *testing.T, f *Federation, qname string) string {
	t.Helper()
	for line := range strings.SplitSeq(explainText(t, f, qname), "\n") {
		if strings.HasPrefix(line, "answer: ") {
			return line
		}
	}
	t.Fatalf("Expected an answer line in the explanation of %s", qname)
	return ""
}

// TestChasedOrAnsweredHere: where the walk ends without a shard this
// cluster sees, the CNAME target is answered here only where a scope ends
// the walk early or the zone is the plugin's own, else chased (SPEC 3.3,
// 10):
//   - the zone served elsewhere, a region scope, no shard within it: NXDOMAIN
//     at the region level here, never chased to a server that may not know
//     the scope and would walk past it;
//   - the zone served elsewhere, no scope: the global name is chased, and
//     the real zone's answer (a member this cluster cannot reach may still
//     have a healthy shard) is what the client gets;
//   - the plugin's own zone, a walk that ends NXDOMAIN under a fallthrough
//     zone: chased, so the next plugin answers the target as it answers the
//     name asked directly.
func TestChasedOrAnsweredHere(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caches   *stubClusters
		own      bool   // the zone is the plugin's own
		fall     bool   // fallthrough example.com.
		upstream dns.RR // what a chase gets
		want     test.Case
	}{
		{"scope, remote zone", &stubClusters{members: []string{"m2"}, scope: federation.LevelRegion,
			published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2")}}},
			false, false, test.A(webRegion + " 60 IN A 203.0.113.2"),
			test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(web, webRegion)}, Ns: []dns.RR{exampleSOA}}},
		{"no scope, remote zone", &stubClusters{members: []string{"m2"}}, false, false, test.A(webGlob + " 60 IN A 203.0.113.9"),
			test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(web, webGlob), test.A(webGlob + " 60 IN A 203.0.113.9")}}},
		{"fallthrough, own zone", &stubClusters{members: []string{"m2"}}, true, true, test.A(webGlob + " 60 IN A 192.0.2.4"),
			test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(web, webGlob), test.A(webGlob + " 60 IN A 192.0.2.4")}}},
	} {
		f := tableFederation(tc.caches)
		if !tc.own {
			f.cfg.Authority = nil // the zone is served by another server
		}
		if tc.fall {
			f.cfg.Fall.SetZonesFromArgs([]string{"example.com."})
		}
		f.upstream = fixedUpstream{m: &dns.Msg{Answer: []dns.RR{tc.upstream}}}
		m := new(dns.Msg)
		m.SetQuestion(web, dns.TypeA)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		f.ServeDNS(context.Background(), rec, m)
		if rec.Msg == nil {
			t.Fatalf("%s: expected an answer", tc.name)
		}
		if err := check(rec.Msg, tc.want); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestServfailSaysWhy: a SERVFAIL's error, which CoreDNS's errors plugin
// logs, names its cause: a member not settled is not the local caches.
func TestServfailSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		qname  string
		caches *stubClusters
		want   error
	}{
		{webRegion, &stubClusters{members: []string{"m1"}, unsettled: true}, errUnsettled},
		{web, &stubClusters{unsynced: true}, errUnsynced},
	} {
		m := new(dns.Msg)
		m.SetQuestion(tc.qname, dns.TypeA)
		rcode, err := tableFederation(tc.caches).ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{}), m)
		if rcode != dns.RcodeServerFailure || !errors.Is(err, tc.want) {
			t.Errorf("%s: expected SERVFAIL with %v, got %s %v", tc.qname, tc.want, dns.RcodeToString[rcode], err)
		}
	}
}
