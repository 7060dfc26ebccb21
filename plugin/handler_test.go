package plugin

import (
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var topo = federation.Topology{Zone: "z1", Region: "r1"}

const (
	web     = "web.ns.myfed.svc.cluster.local."
	webZone = "web.ns.myfed.svc.z1.r1.example.com."
)

// Negative answers from the plugin carry the SOA of the cluster zone.
var clusterSOA = test.SOA("cluster.local. 17 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 17")

func cnameTo(owner, target string) dns.RR {
	return test.CNAME(owner + " 17 IN CNAME " + target)
}

// unhealthy is how web answers A while its local shard is not healthy: the
// CNAME to the zone level, chased.
var unhealthy = test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
	cnameTo(web, webZone),
	test.A(webZone + " 60 IN A 203.0.113.1"),
}}

// healthyWeb is how web answers A while its local shard is healthy.
var healthyWeb = test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(web + " 17 IN A 10.0.0.1")}}

// TestHealthTransitions walks web through the states of SPEC 2.1. Each
// write waits until the caches have seen it, and each answer is then asked
// once: a plugin that did not follow the change would fail, whatever the
// state before.
func TestHealthTransitions(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.expectNow(unhealthy) // no service

	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.expectNow(unhealthy) // no endpoints

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, false, "10.1.0.1"))
	fx.expectNow(unhealthy) // endpoint not ready

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	fx.expectNow(healthyWeb)

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true)) // endpoint removed
	fx.expectNow(unhealthy)

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.2"))
	fx.expectNow(healthyWeb)
	fx.deleteService("web")
	fx.expectNow(unhealthy) // service deleted, its slice still there

	// Not ready, then ready, from a healthy start: each step changes the answer.
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.expectNow(healthyWeb)
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, false, "10.1.0.2"))
	fx.expectNow(unhealthy)
}

func TestHeadlessTransitions(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", corev1.ClusterIPNone))
	fx.expectNow(unhealthy)

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, false, "10.1.0.1"))
	fx.expectNow(unhealthy)

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1", "10.1.0.2"))
	fx.expectNow(test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		test.A(web + " 17 IN A 10.1.0.1"), test.A(web + " 17 IN A 10.1.0.2"),
	}})
	// Ready only over IPv4: AAAA is NODATA, not a CNAME.
	fx.expectNow(test.Case{Qname: web, Qtype: dns.TypeAAAA, Authoritative: true, Ns: []dns.RR{clusterSOA}})

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv6, true, "fd00::1"))
	fx.expectNow(test.Case{Qname: web, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{test.AAAA(web + " 17 IN AAAA fd00::1")}})

	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv6, false, "fd00::1"))
	fx.expectNow(unhealthy)
}

func TestAddressFamilies(t *testing.T) {
	fx := newFixture(t, topo, "")
	v6 := "v6.ns.myfed.svc.cluster.local."
	dual := "dual.ns.myfed.svc.cluster.local."
	fx.createService(service("v6", "fd00:10:96::1", "fd00:10:96::1"))
	fx.createService(service("dual", "10.0.0.2", "10.0.0.2", "fd00:10:96::2"))
	fx.applySlice(endpointSlice("v6", discoveryv1.AddressTypeIPv6, true, "fd00::1"))
	fx.applySlice(endpointSlice("dual", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))

	for _, tc := range []test.Case{
		{Qname: v6, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{test.AAAA(v6 + " 17 IN AAAA fd00:10:96::1")}},
		{Qname: v6, Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		{Qname: dual, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(dual + " 17 IN A 10.0.0.2")}},
		{Qname: dual, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{test.AAAA(dual + " 17 IN AAAA fd00:10:96::2")}},
	} {
		fx.expect(tc)
	}
}

func TestQueryTypes(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	down := "down.ns.myfed.svc.cluster.local."
	downZone := "down.ns.myfed.svc.z1.r1.example.com."
	zoneSOA := test.SOA("example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60")

	for _, tc := range []test.Case{
		// Healthy: only A and AAAA have records; every other type is NODATA.
		{Qname: web, Qtype: dns.TypeAAAA, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		{Qname: web, Qtype: dns.TypeCNAME, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		{Qname: web, Qtype: dns.TypeMX, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		{Qname: web, Qtype: dns.TypeSRV, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		{Qname: web, Qtype: dns.TypeTXT, Authoritative: true, Ns: []dns.RR{clusterSOA}},
		// Unhealthy: the CNAME for every type, chased for all but CNAME.
		{Qname: down, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{cnameTo(down, downZone)}},
		{Qname: down, Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{cnameTo(down, downZone), test.AAAA(downZone + " 60 IN AAAA 2001:db8::1")}},
		{Qname: down, Qtype: dns.TypeMX, Authoritative: true, Answer: []dns.RR{cnameTo(down, downZone)}, Ns: []dns.RR{zoneSOA}},
		{Qname: down, Qtype: dns.TypeSRV, Authoritative: true, Answer: []dns.RR{cnameTo(down, downZone)}, Ns: []dns.RR{zoneSOA}},
	} {
		fx.expect(tc)
	}
}

func TestCaseIsKept(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	mixed := "Web.NS.MyFed.Svc.Cluster.Local."
	fx.expect(test.Case{Qname: mixed, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A(mixed + " 17 IN A 10.0.0.1")}})
	down := "DOWN.ns.MYFED.svc.cluster.local."
	fx.expect(test.Case{Qname: down, Qtype: dns.TypeCNAME, Authoritative: true, Answer: []dns.RR{
		cnameTo(down, "down.ns.myfed.svc.z1.r1.example.com."),
	}})
}

func TestExternalName(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.svc.z1.r1.example.com"},
	})
	db := "db.ns.myfed.svc.cluster.local."
	fx.expect(test.Case{Qname: db, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		cnameTo(db, "db.svc.z1.r1.example.com."), test.A("db.svc.z1.r1.example.com. 60 IN A 203.0.113.1"),
	}})
}

func TestChasedNXDOMAIN(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.f.cfg.Federations["other"] = "example.net."
	name := "web.ns.other.svc.cluster.local."
	target := "web.ns.other.svc.z1.r1.example.net."
	fx.expect(test.Case{Qname: name, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
		Answer: []dns.RR{cnameTo(name, target)},
		Ns:     []dns.RR{test.SOA("example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60")},
	})
}

func TestNotFederatedGoesNext(t *testing.T) {
	fx := newFixture(t, topo, "")
	for _, q := range []string{
		"web.ns.svc.cluster.local.",             // an ordinary service
		"web.ns.unknown.svc.cluster.local.",     // not a configured federation
		"myfed.svc.cluster.local.",              // too few labels
		"x.web.ns.myfed.svc.cluster.local.",     // too many
		"1web.ns.myfed.svc.cluster.local.",      // service not a DNS-1035 label
		"_http.web.ns.myfed.svc.cluster.local.", // a port label without its protocol
		"web.ns.myfed.svc.example.org.",         // not under the zone
	} {
		_, rcode, _ := fx.ask(q, dns.TypeA)
		if rcode != dns.RcodeNotImplemented {
			t.Errorf("Expected %s to go to the next plugin, got rcode %s", q, dns.RcodeToString[rcode])
		}
	}
}

func TestEndpointNameCollision(t *testing.T) {
	// Namespace "myfed" has the federation's name; its headless service
	// "db" has endpoint names <host>.db.myfed.svc.cluster.local.
	headless := service("db", corev1.ClusterIPNone)
	headless.Namespace = "myfed"
	fx := newFixture(t, topo, "", headless)
	_, rcode, _ := fx.ask("host-0.db.myfed.svc.cluster.local.", dns.TypeA)
	if rcode != dns.RcodeNotImplemented {
		t.Errorf("Expected an endpoint name to go to the next plugin, got %s", dns.RcodeToString[rcode])
	}
	// Without such a headless service the same form is federated.
	fx.expect(test.Case{Qname: "host-0.other.myfed.svc.cluster.local.", Qtype: dns.TypeCNAME, Authoritative: true,
		Answer: []dns.RR{cnameTo("host-0.other.myfed.svc.cluster.local.", "host-0.other.myfed.svc.z1.r1.example.com.")}})
}

func TestTopologyFromNode(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
		"topology.kubernetes.io/zone": "z1", "topology.kubernetes.io/region": "r1",
	}}}
	fx := newFixture(t, federation.Topology{}, "n1", node)
	fx.expect(unhealthy)

	// The Corefile's zone wins over the node's label.
	fx.f.cfg.Topology.Zone = "z9"
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeCNAME, Authoritative: true,
		Answer: []dns.RR{cnameTo(web, "web.ns.myfed.svc.z9.r1.example.com.")}})
}

func TestUnknownTopologyIsServfail(t *testing.T) {
	bad := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "bad", Labels: map[string]string{"topology.kubernetes.io/zone": "z_1", "topology.kubernetes.io/region": "r1"}}}
	noRegion := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "noregion", Labels: map[string]string{"topology.kubernetes.io/zone": "z1"}}}
	for _, node := range []string{"", "missing", "bad", "noregion"} {
		fx := newFixture(t, federation.Topology{}, node, bad, noRegion)
		resp, rcode, err := fx.ask(web, dns.TypeA)
		if rcode != dns.RcodeServerFailure || err == nil || resp != nil {
			t.Errorf("Node %q: expected SERVFAIL with nothing written, got %s %v", node, dns.RcodeToString[rcode], err)
		}
	}
}

func TestUnsyncedIsServfail(t *testing.T) {
	f := newFederation(testConfig(topo, ""), &stubClusters{unsynced: true}, nil)
	f.Next = test.NextHandler(dns.RcodeNotImplemented, nil)
	fx := &fixture{t: t, f: f}
	if f.Ready() {
		t.Error("Expected not ready before the caches sync")
	}
	_, rcode, err := fx.ask(web, dns.TypeA)
	if rcode != dns.RcodeServerFailure || err == nil {
		t.Errorf("Expected SERVFAIL, got %s %v", dns.RcodeToString[rcode], err)
	}
}

// TestReadyThroughReload: a reload's new instance, whose caches are still
// syncing, counts as ready for as long as startup waits for them when an
// instance of the process was ready before; in a process that never was,
// or after that time, it is not (SPEC 8).
func TestReadyThroughReload(t *testing.T) {
	wasReady.Store(false)
	t.Cleanup(func() { wasReady.Store(false) })
	fresh := newFederation(testConfig(topo, ""), &stubClusters{unsynced: true}, nil)
	fresh.started.Store(time.Now().UnixNano())
	if fresh.Ready() {
		t.Error("Expected a first instance not ready before its caches sync")
	}
	if old := newFederation(testConfig(topo, ""), &stubClusters{}, nil); !old.Ready() {
		t.Fatal("Expected a synced instance ready")
	}
	if !fresh.Ready() {
		t.Error("Expected a reload's new instance ready while its caches sync")
	}
	fresh.started.Store(time.Now().Add(-reloadReadiness).UnixNano())
	if fresh.Ready() {
		t.Error("Expected an instance whose caches did not sync in time not ready")
	}
}
