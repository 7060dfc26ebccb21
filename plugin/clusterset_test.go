package plugin

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
)

// mcsCluster is a cluster of the clusterset tests: its clients, fakes of
// the API with the MCS resources.
type mcsCluster struct {
	client  *fake.Clientset
	exports *metadatafake.FakeMetadataClient
	watch   *federation.Cluster
}

// newMCSCluster starts a watch of a fake cluster holding objs, its
// ServiceExports exported, its ClusterProperty id.k8s.io id ("": none)
// and its ServiceImports imports.
func newMCSCluster(t *testing.T, name string, nodes federation.Nodes, id string, exported []string, imports []*unstructured.Unstructured, objs ...runtime.Object) *mcsCluster {
	t.Helper()
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	metaObjs := make([]runtime.Object, 0, len(exported))
	for _, e := range exported {
		metaObjs = append(metaObjs, &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: "multicluster.x-k8s.io/v1alpha1", Kind: "ServiceExport"},
			ObjectMeta: metav1.ObjectMeta{Name: e, Namespace: "ns"},
		})
	}
	meta := metadatafake.NewSimpleMetadataClient(scheme, metaObjs...)
	var dynObjs []runtime.Object
	if id != "" {
		dynObjs = append(dynObjs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "about.k8s.io/v1alpha1", "kind": "ClusterProperty",
			"metadata": map[string]any{"name": federation.ClusterIDProperty},
			"spec":     map[string]any{"value": id},
		}})
	}
	for _, i := range imports {
		dynObjs = append(dynObjs, i)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		federation.ClusterProperties: "ClusterPropertyList", federation.ServiceImports: "ServiceImportList", federation.ServiceImportsBeta: "ServiceImportList",
	}, dynObjs...)
	client := fake.NewClientset(objs...)
	watch := federation.NewCluster(name, client, nodes, federation.Options{Clusterset: true, Imports: true, Metadata: meta, Dynamic: dyn})
	watch.Start(nil)
	t.Cleanup(watch.Stop)
	if !watch.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	return &mcsCluster{client: client, exports: meta, watch: watch}
}

// serviceImport is a ServiceImport of ns/name with ClusterSetIPs.
func serviceImport(name string, ips ...any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
		"metadata": map[string]any{"name": name, "namespace": "ns"},
		"spec": map[string]any{"type": "ClusterSetIP", "ips": ips,
			"ports": []any{map[string]any{"name": "http", "protocol": "TCP", "port": int64(8080)}}},
	}}
}

// withPorts gives svc ports named name-protocol-port.
func withPorts(svc *corev1.Service, ports ...corev1.ServicePort) *corev1.Service {
	svc.Spec.Ports = ports
	return svc
}

// namedSlice is a ready EndpointSlice of svc whose endpoints have the
// hostnames hosts, at addrs, in zone z1 on node n1, with a port.
func namedSlice(svc string, hosts []string, addrs ...string) *discoveryv1.EndpointSlice {
	es := endpointSlice(svc, discoveryv1.AddressTypeIPv4, true, addrs...)
	zone, node, name, port := "z1", "n1", "pg", int32(5432)
	for i := range es.Endpoints {
		if i < len(hosts) {
			es.Endpoints[i].Hostname = &hosts[i]
		}
		es.Endpoints[i].Zone, es.Endpoints[i].NodeName = &zone, &node
	}
	es.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &port}}
	return es
}

// newClustersetFixture is the plugin with clusterset myfed over a local
// cluster (id "here") and member east (id east.reg, two labels): web a
// ClusterIP service exported here with ports tcp/42, udp/42 and http;
// db headless in both, exported from both, its pods named alike; imp
// with a ServiceImport; lonely in both, exported from neither; only-east
// headless in east alone.
func newClustersetFixture(t *testing.T) (*Federation, *mcsCluster, *mcsCluster) {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{corev1.LabelTopologyZone: "z1", corev1.LabelTopologyRegion: "r1"}}}
	local := newMCSCluster(t, LocalLabel, federation.Nodes{All: true}, "here", []string{"web", "db"}, []*unstructured.Unstructured{serviceImport("imp", "10.9.9.9")},
		withPorts(service("web", "10.0.0.1"),
			corev1.ServicePort{Name: "t42", Protocol: corev1.ProtocolTCP, Port: 42},
			corev1.ServicePort{Name: "u42", Protocol: corev1.ProtocolUDP, Port: 42},
			corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}),
		endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.244.0.1"),
		service("db", corev1.ClusterIPNone), namedSlice("db", []string{"db-0", "db-1"}, "10.1.0.1", "10.1.0.2"),
		service("lonely", "10.0.0.7"), endpointSlice("lonely", discoveryv1.AddressTypeIPv4, true, "10.244.0.7"),
		node)
	east := newMCSCluster(t, "east", federation.Nodes{All: true}, "east.reg", []string{"db", "only-east"}, nil,
		service("db", corev1.ClusterIPNone), namedSlice("db", []string{"db-0"}, "10.2.0.1"),
		service("only-east", corev1.ClusterIPNone), namedSlice("only-east", nil, "10.2.0.5"),
		service("lonely", "10.3.0.7"), endpointSlice("lonely", discoveryv1.AddressTypeIPv4, true, "10.3.0.8"),
		node)
	cfg := testConfig(topo, "n1")
	cfg.Authority = []string{"example.com."}
	cfg.Clusterset = Clusterset{Federation: "myfed", Zone: "clusterset.local."}
	f := New(cfg, Watchers{
		Local:   federation.NewLocalCluster(local.watch),
		Members: []*federation.Member{federation.NewMember("east", east.watch, time.Minute)},
		Watches: []*federation.Cluster{local.watch, east.watch},
	}, zoneUpstream{})
	f.Next = test.NextHandler(dns.RcodeNotImplemented, nil)
	return f, local, east
}

func csSOA() dns.RR {
	return test.SOA("clusterset.local. 17 IN SOA ns.dns.clusterset.local. hostmaster.clusterset.local. 1 7200 1800 86400 17")
}

// TestClustersetNames asks every row of SPEC 12's table of the plugin
// over a local cluster and a member.
func TestClustersetNames(t *testing.T) {
	f, _, _ := newClustersetFixture(t)
	fx := &fixture{t: t, f: f}
	const z = "svc.clusterset.local."
	for _, tc := range []test.Case{
		{Qname: "dns-version.clusterset.local.", Qtype: dns.TypeTXT, Answer: []dns.RR{test.TXT(`dns-version.clusterset.local. 17 IN TXT "1.0.0"`)}},
		// A ClusterSetIP service exported here, healthy: its ClusterIP.
		{Qname: "web.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.ns." + z + " 17 IN A 10.0.0.1")}},
		{Qname: "web.ns." + z, Qtype: dns.TypeAAAA, Ns: []dns.RR{csSOA()}},
		{Qname: "web.ns." + z, Qtype: dns.TypeTXT, Ns: []dns.RR{csSOA()}},
		// tcp/42 and udp/42 collapse into one bare-name record.
		{Qname: "web.ns." + z, Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("web.ns." + z + " 17 IN SRV 0 50 42 web.ns." + z),
			test.SRV("web.ns." + z + " 17 IN SRV 0 50 80 web.ns." + z),
		}, Extra: []dns.RR{test.A("web.ns." + z + " 17 IN A 10.0.0.1")}},
		{Qname: "_http._tcp.web.ns." + z, Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("_http._tcp.web.ns." + z + " 17 IN SRV 0 100 80 web.ns." + z),
		}, Extra: []dns.RR{test.A("web.ns." + z + " 17 IN A 10.0.0.1")}},
		{Qname: "_u42._udp.web.ns." + z, Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("_u42._udp.web.ns." + z + " 17 IN SRV 0 100 42 web.ns." + z),
		}, Extra: []dns.RR{test.A("web.ns." + z + " 17 IN A 10.0.0.1")}},
		{Qname: "_http._udp.web.ns." + z, Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}},
		// A local ServiceImport's IPs.
		{Qname: "imp.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("imp.ns." + z + " 17 IN A 10.9.9.9")}},
		// Headless, ready here: the local endpoints only.
		{Qname: "db.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("db.ns." + z + " 17 IN A 10.1.0.1"), test.A("db.ns." + z + " 17 IN A 10.1.0.2"),
		}},
		{Qname: "db.ns." + z, Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("db.ns." + z + " 17 IN SRV 0 50 5432 db-0.here.db.ns." + z),
			test.SRV("db.ns." + z + " 17 IN SRV 0 50 5432 db-1.here.db.ns." + z),
		}, Extra: []dns.RR{test.A("db-0.here.db.ns." + z + " 17 IN A 10.1.0.1"), test.A("db-1.here.db.ns." + z + " 17 IN A 10.1.0.2")}},
		// Pods named alike in two clusters: each name its own cluster's.
		{Qname: "db-0.here.db.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("db-0.here.db.ns." + z + " 17 IN A 10.1.0.1")}},
		{Qname: "db-0.east.reg.db.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("db-0.east.reg.db.ns." + z + " 17 IN A 10.2.0.1")}},
		{Qname: "db-1.east.reg.db.ns." + z, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}},
		// Only in east: its endpoints, named by their dashed address.
		{Qname: "only-east.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("only-east.ns." + z + " 17 IN A 10.2.0.5")}},
		{Qname: "10-2-0-5.east.reg.only-east.ns." + z, Qtype: dns.TypeA, Answer: []dns.RR{test.A("10-2-0-5.east.reg.only-east.ns." + z + " 17 IN A 10.2.0.5")}},
		// The reserved form <clusterid>.<svc>.<ns>: no such name.
		{Qname: "here.db.ns." + z, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}},
		{Qname: "east.reg.db.ns." + z, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}},
		// Not exported anywhere, though a Service in both clusters.
		{Qname: "lonely.ns." + z, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}},
		{Qname: "ns." + z, Qtype: dns.TypeA, Ns: []dns.RR{csSOA()}},
	} {
		tc.Authoritative = true
		fx.expectNow(tc)
	}
}

// TestClustersetFollowsExports: unexporting a service takes its name out
// of the clusterset; a headless service unexported here answers from the
// member that still exports it; a ClusterSetIP service whose local shard
// is not exported fails over like its federated name.
func TestClustersetFollowsExports(t *testing.T) {
	f, local, _ := newClustersetFixture(t)
	fx := &fixture{t: t, f: f}
	const z = "svc.clusterset.local."
	api := local.exports.Resource(federation.ServiceExports).Namespace("ns")
	for _, name := range []string{"db", "web"} {
		if err := api.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fx.expect(test.Case{Qname: "db.ns." + z, Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{test.A("db.ns." + z + " 17 IN A 10.2.0.1")}})
	fx.expect(test.Case{Qname: "db-0.here.db.ns." + z, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}})
	fx.expect(test.Case{Qname: "web.ns." + z, Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{csSOA()}})
}

// TestFederatedSRV: a federated name answers SRV from its healthy local
// shard, targets the service's name, and a _port._proto name that fails
// over keeps its labels in the CNAME target (SPEC 12.1).
func TestFederatedSRV(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(withPorts(service("web", "10.0.0.1"), corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.244.0.1"))
	const name = "web.ns.myfed.svc.cluster.local."
	fx.expectNow(test.Case{Qname: "_http._tcp." + name, Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{test.SRV("_http._tcp." + name + " 17 IN SRV 0 100 80 " + name)},
		Extra:  []dns.RR{test.A(name + " 17 IN A 10.0.0.1")},
	})
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, false, "10.244.0.1"))
	target := "_http._tcp.web.ns.myfed.svc.z1.r1.example.com."
	fx.expectNow(test.Case{Qname: "_http._tcp." + name, Qtype: dns.TypeCNAME, Authoritative: true,
		Answer: []dns.RR{cnameTo("_http._tcp."+name, target)},
	})
}

// TestClustersetExplainAndMetrics: explain tells a clusterset name's
// decision, and each answer is counted under the clusterset's federation
// at the level that answered.
func TestClustersetExplainAndMetrics(t *testing.T) {
	f, _, _ := newClustersetFixture(t)
	f.cfg.Explain = true
	fx := &fixture{t: t, f: f}
	const z = "svc.clusterset.local."
	count := func(level string) float64 { return counter(resolutions.WithLabelValues("", "myfed", level)) }
	local, global, none := count(levelLocal), count(federation.LevelGlobal.String()), count(levelNone)
	fx.ask("web.ns."+z, dns.TypeA)
	fx.ask("db.ns."+z, dns.TypeA)
	fx.ask("only-east.ns."+z, dns.TypeA)
	fx.ask("lonely.ns."+z, dns.TypeA)
	if got := count(levelLocal) - local; got != 2 {
		t.Errorf("Expected 2 local resolutions, got %v", got)
	}
	if got := count(federation.LevelGlobal.String()) - global; got != 1 {
		t.Errorf("Expected 1 global resolution, got %v", got)
	}
	if got := count(levelNone) - none; got != 1 {
		t.Errorf("Expected 1 unanswered resolution, got %v", got)
	}

	for name, want := range map[string][]string{
		"db.ns." + z:        {"exported by cluster here (local true): headless, healthy true", "exported by cluster east.reg (local false): headless", "clusterset answer: headless level=local clusters=[here]"},
		"only-east.ns." + z: {"clusterset answer: headless level=global clusters=[east.reg]"},
		"web.ns." + z:       {"local shard ns/web: ClusterIP, healthy true", "answer: local level=local", "clusterset answer: federated level=local"},
		"imp.ns." + z:       {"local ServiceImport: ClusterSetIPs [10.9.9.9]", "clusterset answer: import level=local"},
		"lonely.ns." + z:    {"clusterset answer: nxdomain level=none clusters=[]: no cluster of the clusterset exports it"},
	} {
		resp, _, err := fx.ask("_explain."+name, dns.TypeTXT)
		if err != nil || resp == nil {
			t.Fatalf("Expected an explanation of %s, got %v", name, err)
		}
		var text []string
		for _, rr := range resp.Answer {
			text = append(text, strings.Join(rr.(*dns.TXT).Txt, ""))
		}
		all := strings.Join(text, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("Expected the explanation of %s to say %q, got\n%s", name, w, all)
			}
		}
	}
}

// stubClusterset is the plugin with clusterset myfed over stub caches.
func stubClusterset(caches *stubClusters) *Federation {
	f := tableFederation(caches)
	f.cfg.Clusterset = Clusterset{Federation: "myfed", Zone: "clusterset.local."}
	return f
}

// TestClustersetPaths: the answers of SPEC 12 that depend on the members'
// state and on who exports: SERVFAIL while they settle, a failover CNAME
// that counts only the exporting members' shards, SRV of a ServiceImport.
func TestClustersetPaths(t *testing.T) {
	const z = "svc.clusterset.local."
	web := "web.ns." + z
	east, west := published("east", "r2", "z2", "203.0.113.40"), published("west", "r3", "z3", "203.0.113.50")
	exporter := func(member string) Exporter {
		return Exporter{ID: member, Member: member, View: federation.View{Exported: true, Shard: healthy("10.9.0.1")}}
	}
	for _, tc := range []struct {
		name   string
		caches *stubClusters
		q      test.Case
		rcode  int // returned with nothing written
	}{
		{"members settling", &stubClusters{members: []string{"east"}, unsettled: true},
			test.Case{Qname: web, Qtype: dns.TypeA}, dns.RcodeServerFailure},
		{"endpoint name while members settle", &stubClusters{members: []string{"east"}, unsettled: true},
			test.Case{Qname: "db-0.east.db.ns." + z, Qtype: dns.TypeA}, dns.RcodeServerFailure},
		{"failover to the exporting member only", &stubClusters{members: []string{"east", "west"},
			local:     map[string]federation.Shard{"ns/web": {Kind: federation.ClusterIP}},
			exported:  map[string]bool{"ns/web": true},
			published: map[string][]federation.PublishedShard{"ns/web": {east, west}},
			exporters: map[string][]Exporter{"ns/web": {{ID: "here", Local: true, View: federation.View{Exported: true, Shard: federation.Shard{Kind: federation.ClusterIP}}}, exporter("west")}}},
			test.Case{Qname: web, Qtype: dns.TypeA, Answer: []dns.RR{
				test.A("web.ns.myfed.svc.example.com. 17 IN A 203.0.113.50"), cnameTo(web, "web.ns.myfed.svc.example.com."),
			}}, 0},
		{"no exporting member has a shard", &stubClusters{members: []string{"east"},
			local:     map[string]federation.Shard{"ns/web": {Kind: federation.ClusterIP}},
			exported:  map[string]bool{"ns/web": true},
			published: map[string][]federation.PublishedShard{"ns/web": {east}},
			exporters: map[string][]Exporter{"ns/web": {{ID: "here", Local: true, View: federation.View{Exported: true, Shard: federation.Shard{Kind: federation.ClusterIP}}}}}},
			test.Case{Qname: web, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Answer: []dns.RR{cnameTo(web, "web.ns.myfed.svc.example.com.")}, Ns: []dns.RR{exampleSOA}}, 0},
		{"SRV of a ServiceImport", &stubClusters{imports: map[string]federation.Import{"ns/web": {
			IPs: []netip.Addr{netip.MustParseAddr("10.96.0.9")}, Ports: []federation.Port{{Name: "http", Protocol: "tcp", Port: 80}}}}},
			test.Case{Qname: "_http._tcp." + web, Qtype: dns.TypeSRV, Answer: []dns.RR{test.SRV("_http._tcp." + web + " 17 IN SRV 0 100 80 " + web)},
				Extra: []dns.RR{test.A(web + " 17 IN A 10.96.0.9")}}, 0},
		{"the apex NS", &stubClusters{}, test.Case{Qname: "clusterset.local.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("clusterset.local. 17 IN NS ns.dns.clusterset.local.")}}, 0},
	} {
		f := stubClusterset(tc.caches)
		fx := &fixture{t: t, f: f}
		resp, rcode, _ := fx.ask(tc.q.Qname, tc.q.Qtype)
		if tc.rcode != 0 {
			if resp != nil || rcode != tc.rcode {
				t.Errorf("%s: expected rcode %s with nothing written, got %s %v", tc.name, dns.RcodeToString[tc.rcode], dns.RcodeToString[rcode], resp)
			}
			continue
		}
		tc.q.Authoritative = true
		if resp == nil {
			t.Errorf("%s: no answer (rcode %s)", tc.name, dns.RcodeToString[rcode])
			continue
		}
		if err := check(resp, tc.q); err != nil {
			t.Errorf("%s: %v\n%v", tc.name, err, resp)
		}
	}
}

// TestFederatedSRVAtLevels: a federated _port._proto name that fails over
// into the plugin's own federation zone is answered there: the CNAME up
// to the level with a shard, then its SRV records (SPEC 12.1).
func TestFederatedSRVAtLevels(t *testing.T) {
	east := published("east", "r2", "z2", "203.0.113.40")
	east.Ports = []federation.Port{{Name: "http", Protocol: "tcp", Port: 80}, {Name: "dns", Protocol: "udp", Port: 53}}
	f := tableFederation(&stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {east}}})
	fx := &fixture{t: t, f: f}
	name := "_http._tcp." + web
	global := "_http._tcp.web.ns.myfed.svc.example.com."
	fx.expectNow(test.Case{Qname: name, Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{cnameTo(name, global), test.SRV(global + " 17 IN SRV 0 100 80 web.ns.myfed.svc.example.com.")},
		Extra:  []dns.RR{test.A("web.ns.myfed.svc.example.com. 17 IN A 203.0.113.40")},
	})
	fx.expectNow(test.Case{Qname: "_ftp._tcp.web.ns.myfed.svc.r2.example.com.", Qtype: dns.TypeSRV, Authoritative: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{exampleSOA}})
	fx.expectNow(test.Case{Qname: "web.ns.myfed.svc.r2.example.com.", Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{
			test.SRV("web.ns.myfed.svc.r2.example.com. 17 IN SRV 0 50 53 web.ns.myfed.svc.r2.example.com."),
			test.SRV("web.ns.myfed.svc.r2.example.com. 17 IN SRV 0 50 80 web.ns.myfed.svc.r2.example.com."),
		},
		Extra: []dns.RR{test.A("web.ns.myfed.svc.r2.example.com. 17 IN A 203.0.113.40")},
	})
}
