package plugin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

const testTTL = 17

// fixture is a Federation on real informers over a fake clientset.
type fixture struct {
	t      testing.TB
	client *fake.Clientset
	f      *Federation
	w      *watched // what f reads; members are added to it
}

func newFixture(tb testing.TB, topo federation.Topology, node string, objs ...runtime.Object) *fixture {
	tb.Helper()
	client := fake.NewClientset(objs...)
	watch := federation.NewCluster("local", client, federation.Nodes{Name: node}, federation.Options{})
	f := New(testConfig(topo, node), Watchers{Local: federation.NewLocalCluster(watch), Watches: []*federation.Cluster{watch}}, zoneUpstream{})
	f.Next = test.NextHandler(dns.RcodeNotImplemented, nil)
	watch.Start(nil)
	tb.Cleanup(watch.Stop)
	if !watch.WaitForSync(5 * time.Second) {
		tb.Fatal("Caches did not sync")
	}
	return &fixture{t: tb, client: client, f: f, w: f.clusters.(*watched)}
}

// testConfig is the Corefile of the plugin's unit tests: federation myfed
// with the domain example.com., for names under cluster.local.
func testConfig(topo federation.Topology, node string) Config {
	return Config{
		Zones:       []string{"cluster.local."},
		Federations: map[string]string{"myfed": "example.com."},
		TTL:         testTTL,
		Topology:    topo,
		Node:        node,
	}
}

func (fx *fixture) ask(qname string, qtype uint16) (*dns.Msg, int, error) {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, err := fx.f.ServeDNS(context.Background(), rec, m)
	return rec.Msg, rcode, err
}

// check compares an answer with tc, the AA bit included (SortAndCheck
// leaves it out).
func check(resp *dns.Msg, tc test.Case) error {
	if err := test.SortAndCheck(resp, tc); err != nil {
		return err
	}
	if resp.Authoritative != tc.Authoritative {
		return fmt.Errorf("AA is %v, expected %v", resp.Authoritative, tc.Authoritative)
	}
	return nil
}

// expectNow asks tc once: for a change that the local cluster's caches
// have already seen (the fixture's writes wait for that), so a transition
// is checked against the state it leads to, not retried until it shows.
func (fx *fixture) expectNow(tc test.Case) {
	fx.t.Helper()
	resp, rcode, err := fx.ask(tc.Qname, tc.Qtype)
	if resp == nil {
		fx.t.Fatalf("Expected %s %s to be answered, got rcode %s, error %v", tc.Qname, dns.TypeToString[tc.Qtype], dns.RcodeToString[rcode], err)
	}
	if err := check(resp, tc); err != nil {
		fx.t.Fatalf("Expected %s %s to be answered as %v: %v", tc.Qname, dns.TypeToString[tc.Qtype], tc.Answer, err)
	}
}

// seen waits until the local cluster's caches have seen a change made
// after start: its handlers have run, so lookups see it.
func (fx *fixture) seen(start time.Time) {
	fx.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !fx.w.ws.Local.LastChange().After(start) {
		if time.Now().After(deadline) {
			fx.t.Fatal("The local caches did not see the change")
		}
		time.Sleep(time.Millisecond)
	}
}

// expect asks tc until the answer matches it, for up to five seconds: the
// informers see each API change a moment after it is made.
func (fx *fixture) expect(tc test.Case) {
	fx.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, rcode, err := fx.ask(tc.Qname, tc.Qtype)
		var cerr error
		switch resp {
		case nil:
			cerr = fmt.Errorf("no answer written (rcode %s, error %v)", dns.RcodeToString[rcode], err)
		default:
			cerr = check(resp, tc)
		}
		if cerr == nil {
			return
		}
		if time.Now().After(deadline) {
			fx.t.Fatalf("Expected %s %s to be answered as %v: %v", tc.Qname, dns.TypeToString[tc.Qtype], tc.Answer, cerr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// createService creates svc and waits until the local caches have seen it.
func (fx *fixture) createService(svc *corev1.Service) {
	fx.t.Helper()
	start := time.Now()
	if _, err := fx.client.CoreV1().Services(svc.Namespace).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		fx.t.Fatal(err)
	}
	fx.seen(start)
}

// deleteService deletes ns/web and waits until the local caches have seen it.
func (fx *fixture) deleteService(name string) {
	fx.t.Helper()
	start := time.Now()
	if err := fx.client.CoreV1().Services("ns").Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		fx.t.Fatal(err)
	}
	fx.seen(start)
}

// applySlice creates or updates es and waits until the local caches have
// seen it.
func (fx *fixture) applySlice(es *discoveryv1.EndpointSlice) {
	fx.t.Helper()
	start := time.Now()
	defer fx.seen(start)
	slices := fx.client.DiscoveryV1().EndpointSlices(es.Namespace)
	if _, err := slices.Update(context.Background(), es, metav1.UpdateOptions{}); err == nil {
		return
	}
	if _, err := slices.Create(context.Background(), es, metav1.CreateOptions{}); err != nil {
		fx.t.Fatal(err)
	}
}

func service(name, clusterIP string, clusterIPs ...string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: clusterIPs},
	}
}

func endpointSlice(svc string, family discoveryv1.AddressType, ready bool, addrs ...string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc + "-" + strings.ToLower(string(family)), Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: family,
	}
	for _, a := range addrs {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	return es
}

// zoneUpstream stands in for the rest of the server in unit tests: it
// answers the federation zone example.com with one address per family at
// every name under svc.z1.r1.example.com. and NXDOMAIN elsewhere.
type zoneUpstream struct{}

func (zoneUpstream) Lookup(_ context.Context, _ request.Request, name string, typ uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, typ)
	m.Response, m.Authoritative = true, true
	soa := test.SOA("example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60")
	switch {
	case !strings.HasSuffix(name, ".svc.z1.r1.example.com."):
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
	case typ == dns.TypeA:
		m.Answer = []dns.RR{test.A(name + " 60 IN A 203.0.113.1")}
	case typ == dns.TypeAAAA:
		m.Answer = []dns.RR{test.AAAA(name + " 60 IN AAAA 2001:db8::1")}
	default:
		m.Ns = []dns.RR{soa}
	}
	return m, nil
}
