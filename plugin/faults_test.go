package plugin

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// serve asks f the question qname qtype and returns what it wrote (nil
// for nothing) and its rcode.
func serve(t *testing.T, f *Federation, qname string, qtype uint16) (*dns.Msg, int) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, _ := f.ServeDNS(t.Context(), rec, m)
	return rec.Msg, rcode
}

// TestNarrowerShardScopeWins: a member shard's scope of zone holds against
// a wider scope on the local Service, global or region: with several
// values among a service's shards, the narrowest wins (SPEC 10).
func TestNarrowerShardScopeWins(t *testing.T) {
	for _, local := range []federation.Level{federation.LevelGlobal, federation.LevelRegion} {
		// A healthy shard in another zone of the region: out of the zone
		// scope, within the local Service's.
		f := tableFederation(&stubClusters{members: []string{"m2"}, scope: federation.LevelZone,
			local:     map[string]federation.Shard{"ns/web": {Kind: federation.ClusterIP, Policy: federation.Policy{Scope: local}}},
			published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r1", "z2", "203.0.113.2")}}})
		resp, rcode := serve(t, f, web, dns.TypeA)
		if resp == nil {
			t.Fatalf("Local scope %s: expected an answer, got rcode %s", local, dns.RcodeToString[rcode])
		}
		want := test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Answer: []dns.RR{cnameTo(web, webZone)}, Ns: []dns.RR{exampleSOA}}
		if err := check(resp, want); err != nil {
			t.Errorf("Local scope %s, a shard's scope zone: expected the CNAME to the zone level and NXDOMAIN, got %v: %v", local, resp.Answer, err)
		}
	}
}

// TestFailingShardScopeHolds: a member's shard that is failing over (no
// ready endpoint, so not published) keeps its scope of zone: a healthy
// shard in another zone of the region is out of it, and the in-cluster
// CNAME ends NXDOMAIN at the zone level (SPEC 10; README: a shard's scope
// counts healthy or not).
func TestFailingShardScopeHolds(t *testing.T) {
	fx := newFixture(t, topo, "")
	failing := memberObjects("z9", "r9", "203.0.113.9")
	failing[1].(*corev1.Service).Annotations = map[string]string{federation.AnnotationScope: "zone"}
	failing[2].(*discoveryv1.EndpointSlice).Endpoints[0].Conditions.Ready = new(false)
	fx.addMember("failing", failing...)
	fx.addMember("near", memberObjects("z2", topo.Region, "203.0.113.2")...)
	if v := fx.w.ws.Members[0].View("ns", "web"); v.IsPublished || v.Shard.Policy.Scope != federation.LevelZone {
		t.Fatalf("Expected the failing shard unpublished with scope zone, got published %v, scope %s", v.IsPublished, v.Shard.Policy.Scope)
	}
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
		Answer: []dns.RR{cnameTo(web, webZone)}, Ns: []dns.RR{zoneApexSOA}})
}

// TestServfailCountedAsNone: a federated question answered SERVFAIL is
// counted in coredns_federation_resolutions_total at level none, not at
// the level its decision chose: a chase that ends SERVFAIL, and a CNAME
// target too long to write (SPEC 7).
func TestServfailCountedAsNone(t *testing.T) {
	count := func(level string) float64 { return counter(resolutions.WithLabelValues("", "myfed", level)) }
	zone, none := count(federation.LevelZone.String()), count(levelNone)

	f := tableFederation(&stubClusters{}) // no members: the zone level, chased
	servfail := new(dns.Msg)
	servfail.Rcode = dns.RcodeServerFailure
	f.upstream = fixedUpstream{m: servfail}
	if resp, rcode := serve(t, f, web, dns.TypeA); resp == nil || resp.Rcode != dns.RcodeServerFailure {
		t.Fatalf("Expected a chase that fails to end SERVFAIL, got %v (rcode %s)", resp, dns.RcodeToString[rcode])
	}

	f = tableFederation(&stubClusters{})
	label := strings.Repeat("d", 60)
	f.cfg.Federations["myfed"] = label + "." + label + "." + label + ".example.com."
	over := strings.Repeat("s", 40) + ".nn.myfed.svc.cluster.local." // its zone level: 255 characters, one too many
	if resp, rcode := serve(t, f, over, dns.TypeA); resp != nil || rcode != dns.RcodeServerFailure {
		t.Fatalf("Expected SERVFAIL for a target too long, got %v (rcode %s)", resp, dns.RcodeToString[rcode])
	}

	if got := count(levelNone) - none; got != 2 {
		t.Errorf("Expected 2 resolutions at level none, got %v", got)
	}
	if got := count(federation.LevelZone.String()) - zone; got != 0 {
		t.Errorf("Expected 0 resolutions at level zone, got %v", got)
	}
}

// TestServfailRefreshKeepsAddresses: a hostname refresh that the server
// answers SERVFAIL is a failed refresh, not an answer without addresses:
// the hostname keeps its last good addresses (SPEC 4.2.1).
func TestServfailRefreshKeepsAddresses(t *testing.T) {
	var failing atomic.Bool
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		switch {
		case failing.Load():
			m.Rcode = dns.RcodeServerFailure
		case r.Question[0].Qtype == dns.TypeA:
			m.Answer = []dns.RR{test.A(r.Question[0].Name + " 30 IN A 198.51.100.7")}
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })

	lookup := ServerLookup(pc.LocalAddr().String())
	h := NewHostnames(lookup)
	lb := "lb.example.net."
	h.Want("east", []string{lb})
	refresh := func() {
		addrs, answered, next := h.resolve(t.Context(), lb)
		h.update(lb, addrs, answered, next)
	}
	want := []netip.Addr{netip.MustParseAddr("198.51.100.7")}
	refresh()
	if got := h.Addresses(nil, []string{lb}); !slices.Equal(got, want) {
		t.Fatalf("Expected %v, got %v", want, got)
	}

	failing.Store(true)
	if addrs, _, err := lookup(t.Context(), lb, dns.TypeA); err == nil {
		t.Errorf("Expected an error for a SERVFAIL answer, got none (addresses %v)", addrs)
	}
	refresh()
	if got := h.Addresses(nil, []string{lb}); !slices.Equal(got, want) {
		t.Errorf("Expected the last good addresses %v kept through a SERVFAIL refresh, got %v", want, got)
	}
}

// unreachableAPI is a fake clientset whose API server does not answer:
// its discovery client, which a watch probes the API with, points at a
// port where nothing listens, so the watch's contact fails while its
// caches, filled from the fake, stay synced.
type unreachableAPI struct {
	*fake.Clientset
	api discovery.DiscoveryInterfaces
}

func (c unreachableAPI) Discovery() discovery.DiscoveryInterfaces { return c.api }

// TestMemberInGraceKeepsItsShards: a member whose API has stopped
// answering keeps its last known shards for its grace: healthy_shards
// still counts them, and its ingress hostnames are still resolved
// (SPEC 4.5, 4.2.1).
func TestMemberInGraceKeepsItsShards(t *testing.T) {
	const name = "in-grace"
	t.Cleanup(func() { releaseSeries([]string{name}) })
	holdSeries([]string{name})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	api, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	objs := memberObjects("z2", "r1", "203.0.113.2")
	svc := objs[1].(*corev1.Service)
	svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{Hostname: "lb.example.net"})
	watch := federation.NewCluster(name, unreachableAPI{Clientset: fake.NewClientset(objs...), api: api}, federation.Nodes{All: true}, federation.Options{})
	m := federation.NewMember(name, watch, time.Hour)
	watch.Start(nil)
	t.Cleanup(watch.Stop)
	if !watch.WaitForSync(5 * time.Second) {
		t.Fatal("Member caches did not sync")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, down := m.GraceLeft(time.Now()); down {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Expected the member's API to fail its probe, got no failed contact")
		}
		time.Sleep(20 * time.Millisecond)
	}

	h := NewHostnames(func(context.Context, string, uint16) ([]netip.Addr, uint32, error) {
		return nil, 0, context.DeadlineExceeded // not run: only what is wanted matters here
	})
	mw := &memberWatch{m: m, hostnames: h}
	t.Cleanup(mw.stop)
	mw.update()
	if got := counter(healthyShards.WithLabelValues(name)); got != 1 {
		t.Errorf("Expected healthy_shards 1 for a member in its grace, got %v", got)
	}
	if got := counter(clusterSynced.WithLabelValues(name)); got != 0 {
		t.Errorf("Expected cluster_synced 0 from the first failed contact, got %v", got)
	}
	h.mu.RLock()
	wanted := slices.Clone(h.wanted[name])
	h.mu.RUnlock()
	if want := []string{"lb.example.net."}; !slices.Equal(wanted, want) {
		t.Errorf("Expected the hostnames %v of a member in its grace still resolved, got %v", want, wanted)
	}
}

// TestNegativeAnswersSOAMinimum: the SOA of a negative answer, in the
// cluster zone and in the federation zone, has the configured TTL as its
// MINIMUM, the TTL resolvers cache the negative answer for (RFC 2308), as
// for every record the plugin writes (SPEC 3.6).
func TestNegativeAnswersSOAMinimum(t *testing.T) {
	f := tableFederation(&stubClusters{members: []string{"m1"}, local: map[string]federation.Shard{"ns/web": healthy("10.0.0.1")}})
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{web, dns.TypeAAAA},             // NODATA in the cluster zone
		{"x." + webGlob, dns.TypeA},     // NXDOMAIN in the federation zone
		{"svc.example.com.", dns.TypeA}, // NODATA at an empty non-terminal
	} {
		resp, rcode := serve(t, f, q.name, q.qtype)
		if resp == nil || len(resp.Ns) != 1 {
			t.Errorf("%s %s: expected a negative answer with the SOA, got %v (rcode %s)", q.name, dns.TypeToString[q.qtype], resp, dns.RcodeToString[rcode])
			continue
		}
		soa, ok := resp.Ns[0].(*dns.SOA)
		if !ok {
			t.Errorf("%s %s: expected the SOA in authority, got %v", q.name, dns.TypeToString[q.qtype], resp.Ns[0])
			continue
		}
		if soa.Minttl != testTTL || soa.Hdr.Ttl != testTTL {
			t.Errorf("%s %s: expected the SOA's TTL and MINIMUM %d, got %d and %d", q.name, dns.TypeToString[q.qtype], testTTL, soa.Hdr.Ttl, soa.Minttl)
		}
	}
}

// TestExplainShowsThePolicy: explain shows the policy behind an answer,
// the local Service's prefer-regions and the scope the walk keeps to
// (SPEC 10: every decision is shown by explain).
func TestExplainShowsThePolicy(t *testing.T) {
	f := tableFederation(&stubClusters{members: []string{"m2"}, scope: federation.LevelRegion,
		local:     map[string]federation.Shard{"ns/web": {Kind: federation.ClusterIP, Policy: federation.Policy{PreferRegions: []string{"r9", "r3"}}}},
		published: map[string][]federation.PublishedShard{"ns/web": {published("m2", "r2", "z3", "203.0.113.2")}}})
	resp, rcode := serve(t, f, explainLabel+web, dns.TypeTXT)
	if resp == nil {
		t.Fatalf("Expected an explanation of %s, got rcode %s", web, dns.RcodeToString[rcode])
	}
	lines := make([]string, 0, len(resp.Answer))
	for _, rr := range resp.Answer {
		lines = append(lines, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"prefer-regions [r9 r3]", "scope region"} {
		if !strings.Contains(got, want) {
			t.Errorf("Expected the explanation to say %q, got:\n%s", want, got)
		}
	}
}
