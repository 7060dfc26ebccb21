package plugin

import (
	"context"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// memberObjects is a member cluster in zone/region whose service web is
// published with ingress ip.
func memberObjects(zone, region, ip string) []runtime.Object {
	ready := true
	node := "node-" + zone
	return []runtime.Object{
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node, Labels: map[string]string{
			"topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": region,
		}}},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.9.0.1"},
			Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip}}}},
		},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}, NodeName: &node, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		},
	}
}

// addMember adds a started member cluster over a fake clientset holding objs.
func (fx *fixture) addMember(name string, objs ...runtime.Object) *fake.Clientset {
	fx.t.Helper()
	client := fake.NewClientset(objs...)
	watch := federation.NewCluster(name, client, federation.Nodes{All: true}, federation.Options{})
	watch.Start(nil)
	fx.t.Cleanup(watch.Stop)
	if !watch.WaitForSync(5 * time.Second) {
		fx.t.Fatal("Member caches did not sync")
	}
	fx.w.ws.Members = append(fx.w.ws.Members, federation.NewMember(name, watch, time.Minute))
	fx.f.cfg.Authority = []string{"example.com."}
	return client
}

const (
	webGlobal = "web.ns.myfed.svc.example.com."
	webEast   = "web.ns.myfed.svc.us-east1.example.com."
	webEast1b = "web.ns.myfed.svc.us-east1-b.us-east1.example.com."
	webEast1c = "web.ns.myfed.svc.us-east1-c.us-east1.example.com."
	webWest   = "web.ns.myfed.svc.europe-west1.example.com."
	webWest1b = "web.ns.myfed.svc.europe-west1-b.europe-west1.example.com."
)

var zoneApexSOA = test.SOA("example.com. 17 IN SOA ns.dns.example.com. hostmaster.example.com. 1 7200 1800 86400 17")

func TestFederationZoneOneShard(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	a := func(owner string) dns.RR { return test.A(owner + " 17 IN A 203.0.113.40") }

	for _, tc := range []test.Case{
		// Its zone and region answer A.
		{Qname: webEast1b, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a(webEast1b)}},
		{Qname: webEast, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a(webEast)}},
		{Qname: webGlobal, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a(webGlobal)}},
		// Other zones of its region CNAME to the region, chased.
		{Qname: webEast1c, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(webEast1c, webEast), a(webEast)}},
		// Other regions CNAME to global, zone by region by global.
		{Qname: webWest1b, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(webWest1b, webWest), cnameTo(webWest, webGlobal), a(webGlobal)}},
		{Qname: webWest, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cnameTo(webWest, webGlobal), a(webGlobal)}},
		// The IPv4-only shard: AAAA follows the chain to NODATA.
		{Qname: webWest, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{cnameTo(webWest, webGlobal)}, Ns: []dns.RR{zoneApexSOA}},
		// Other types: NODATA at a level with addresses, the CNAME alone at a CNAME level.
		{Qname: webEast, Qtype: dns.TypeTXT, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		{Qname: webWest, Qtype: dns.TypeMX, Authoritative: true, Answer: []dns.RR{cnameTo(webWest, webGlobal)}, Ns: []dns.RR{zoneApexSOA}},
		{Qname: webWest, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{cnameTo(webWest, webGlobal)}},
		// The apex, empty non-terminals and names that cannot exist.
		{Qname: "example.com.", Qtype: dns.TypeSOA, Authoritative: true, Answer: []dns.RR{zoneApexSOA}},
		{Qname: "Example.COM.", Qtype: dns.TypeSOA, Authoritative: true, Answer: []dns.RR{
			test.SOA("Example.COM. 17 IN SOA ns.dns.example.com. hostmaster.example.com. 1 7200 1800 86400 17")}},
		{Qname: "example.com.", Qtype: dns.TypeNS, Authoritative: true, Answer: []dns.RR{test.NS("example.com. 17 IN NS ns.dns.example.com.")}},
		{Qname: "example.com.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		{Qname: "svc.example.com.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		{Qname: "ns.myfed.svc.us-east1.example.com.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		{Qname: "x." + webEast1b, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		{Qname: "web.ns.otherfed.svc.example.com.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: []dns.RR{zoneApexSOA}},
		// Case is kept in the owner; targets are lower case.
		{Qname: "WEB.ns.myfed.svc.Europe-West1.example.com.", Qtype: dns.TypeCNAME, Authoritative: true,
			Answer: []dns.RR{cnameTo("WEB.ns.myfed.svc.Europe-West1.example.com.", webGlobal)}},
	} {
		fx.expect(tc)
	}
}

func TestFederationZoneNoShard(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "")...) // no ingress: not published
	fx.expect(test.Case{Qname: webEast1b, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
		Answer: []dns.RR{cnameTo(webEast1b, webEast), cnameTo(webEast, webGlobal)}, Ns: []dns.RR{zoneApexSOA}})
	fx.expect(test.Case{Qname: webGlobal, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: []dns.RR{zoneApexSOA}})
	// Every type follows the chain to its end (SPEC 4.4), not only A and AAAA.
	for _, qtype := range []uint16{dns.TypeTXT, dns.TypeMX, dns.TypeSRV} {
		fx.expect(test.Case{Qname: webEast1b, Qtype: qtype, Rcode: dns.RcodeNameError, Authoritative: true,
			Answer: []dns.RR{cnameTo(webEast1b, webEast), cnameTo(webEast, webGlobal)}, Ns: []dns.RR{zoneApexSOA}})
	}

	// With fallthrough, NXDOMAIN goes to the next plugin instead.
	fx.f.cfg.Fall = fall.Root
	if _, rcode, _ := fx.ask(webGlobal, dns.TypeA); rcode != dns.RcodeNotImplemented {
		t.Errorf("Expected NXDOMAIN to fall through, got %s", dns.RcodeToString[rcode])
	}
}

func TestFederationZoneTwoShardsAndChanges(t *testing.T) {
	fx := newFixture(t, topo, "")
	b := fx.addMember("east-b", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	fx.addMember("east-c", memberObjects("us-east1-c", "us-east1", "203.0.113.41")...)
	fx.expect(test.Case{Qname: webEast, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		test.A(webEast + " 17 IN A 203.0.113.40"), test.A(webEast + " 17 IN A 203.0.113.41"),
	}})

	// Shard b scaled to zero: its zone walks up to the region, now only c.
	ready := false
	node := "node-us-east1-b"
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}, NodeName: &node, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
	if _, err := b.DiscoveryV1().EndpointSlices("ns").Update(t.Context(), es, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	fx.expect(test.Case{Qname: webEast1b, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		cnameTo(webEast1b, webEast), test.A(webEast + " 17 IN A 203.0.113.41"),
	}})
}

func TestInClusterCNAMEPointsAtNearestLevel(t *testing.T) {
	fx := newFixture(t, federation.Topology{Zone: "us-east1-c", Region: "us-east1"}, "")
	client := fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	count := func(level string) float64 { return counter(resolutions.WithLabelValues("", "myfed", level)) }
	region := count("region")

	// The local shard of web does not exist; the nearest healthy shard is in
	// the local region, another zone: the CNAME skips the empty zone level.
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{cnameTo(web, webEast)}})
	// The target is in the plugin's own zone: answered in the same reply.
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		cnameTo(web, webEast), test.A(webEast + " 17 IN A 203.0.113.40"),
	}})
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{cnameTo(web, webEast)}, Ns: []dns.RR{zoneApexSOA}})
	if got := count("region") - region; got < 1 {
		t.Errorf("Expected resolutions at the region level, got %v", got)
	}

	// No healthy shard anywhere: the global level.
	if err := client.CoreV1().Services("ns").Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{cnameTo(web, webGlobal)}})
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
		Answer: []dns.RR{cnameTo(web, webGlobal)}, Ns: []dns.RR{zoneApexSOA}})
}

// TestChainEndsAtFirstCNAMEForDNSSEC: a client that sets DO gets a walk
// that ends without records cut to its first CNAME, whose target it asks
// itself; a walk that ends with records, and a client without DO, get
// the whole chain (SPEC 13.3).
func TestChainEndsAtFirstCNAMEForDNSSEC(t *testing.T) {
	f := tableFederation(&stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {published("east", "r2", "z2", "203.0.113.40")}}})
	ask := func(name string, qtype uint16, do bool) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		if do {
			m.SetEdns0(4096, true)
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := f.ServeDNS(context.Background(), rec, m); err != nil {
			t.Fatal(err)
		}
		return rec.Msg
	}
	zone := "web.ns.myfed.svc.z1.r1.example.com."
	if r := ask(zone, dns.TypeAAAA, true); len(r.Answer) != 1 || r.Rcode != dns.RcodeSuccess || len(r.Ns) != 0 {
		t.Errorf("Expected AAAA with DO through a chain to no AAAA to end at the first CNAME, got %v", r)
	}
	if r := ask(zone, dns.TypeAAAA, false); len(r.Answer) != 2 || len(r.Ns) != 1 {
		t.Errorf("Expected AAAA without DO to get the whole chain and the SOA, got %v", r)
	}
	if r := ask(zone, dns.TypeA, true); len(r.Answer) != 3 {
		t.Errorf("Expected A with DO to get the chain and its address, got %v", r)
	}
	ghost := "ghost.ns.myfed.svc.z1.r1.example.com."
	if r := ask(ghost, dns.TypeA, true); len(r.Answer) != 1 || r.Rcode != dns.RcodeSuccess {
		t.Errorf("Expected a chain to NXDOMAIN with DO to end at the first CNAME, got %v", r)
	}
}
