package federation

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestParseClustersetName(t *testing.T) {
	const z = "clusterset.local."
	for qname, want := range map[string]ClustersetName{
		z:                                 {Kind: ClustersetApex},
		"dns-version." + z:                {Kind: ClustersetVersion},
		"svc." + z:                        {Kind: ClustersetEmpty},
		"ns.svc." + z:                     {Kind: ClustersetEmpty},
		"Web.NS.svc." + z:                 {Kind: ClustersetService, Service: "web", Namespace: "ns"},
		"_http._tcp.web.ns.svc." + z:      {Kind: ClustersetService, Service: "web", Namespace: "ns", Port: PortLabels{"http", "tcp"}},
		"db-0.east.db.ns.svc." + z:        {Kind: ClustersetEndpoint, Host: "db-0", Cluster: "east", Service: "db", Namespace: "ns"},
		"db-0.east.reg.db.ns.svc." + z:    {Kind: ClustersetEndpoint, Host: "db-0", Cluster: "east.reg", Service: "db", Namespace: "ns"},
		"east.db.ns.svc." + z:             {}, // <clusterid>.<svc>.<ns>: reserved
		"a.b.c.d.db.ns.svc." + z:          {}, // a cluster id of three labels
		"_http._tcp.x.web.ns.svc." + z:    {},
		"_http.web.ns.svc." + z:           {},
		"1web.ns.svc." + z:                {}, // not a DNS-1035 label
		"web.ns.svc.cluster.local.":       {},
		"web.ns.notsvc." + z:              {},
		"dns-version.svc." + z:            {Kind: ClustersetEmpty}, // a namespace of that name
		"_http._tcp.svc." + z:             {},
		"_http._tcp.ns.svc." + z:          {},
		"_http._tcp.db-0.east.db.ns." + z: {},
	} {
		if got := ParseClustersetName(qname, z); got != want {
			t.Errorf("ParseClustersetName(%q) = %+v, expected %+v", qname, got, want)
		}
	}
}

func TestValidClusterID(t *testing.T) {
	for id, want := range map[string]bool{"east": true, "east.reg": true, "East.Reg": true, "a.b.c": false, "": false, "-a": false, "a..b": false} {
		if got := ValidClusterID(id); got != want {
			t.Errorf("ValidClusterID(%q) = %v, expected %v", id, got, want)
		}
	}
}

func TestToImport(t *testing.T) {
	obj, err := toImport(&unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "ns"},
		"spec": map[string]any{"ips": []any{"10.9.9.9", "::ffff:10.9.9.9", "fd00::9", "bad"},
			"ports": []any{
				map[string]any{"name": "http", "port": int64(80)},
				map[string]any{"name": "dns", "protocol": "UDP", "port": int64(53)},
				map[string]any{"name": "out", "port": int64(70000)},
				"not a port",
			}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	i := obj.(*imported)
	wantIPs := []netip.Addr{netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("fd00::9")}
	if !slices.Equal(i.IPs, wantIPs) {
		t.Errorf("Expected IPs %v, got %v", wantIPs, i.IPs)
	}
	wantPorts := []Port{{"http", "tcp", 80}, {"dns", "udp", 53}}
	if !slices.Equal(i.Ports, wantPorts) {
		t.Errorf("Expected ports %v, got %v", wantPorts, i.Ports)
	}
}

func TestDashed(t *testing.T) {
	for addr, want := range map[string]string{"10.1.2.3": "10-1-2-3", "fd00::1": "fd00--1", "fd00::": "fd00--0"} {
		if got := dashed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("dashed(%s) = %q, expected %q", addr, got, want)
		}
	}
}

// TestEndpointNamesOfHeadlessOnly: a headless Service's endpoints keep
// their hostnames; a ClusterIP Service's do not, and are named by their
// addresses (SPEC 12).
func TestEndpointNamesOfHeadlessOnly(t *testing.T) {
	named := func(svc, host, addr string) *discoveryv1.EndpointSlice {
		e := zonedEndpoint(addr, true, "", "")
		e.Hostname = &host
		return zonedSlice(svc, e)
	}
	headless := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}
	web := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1"}}
	client := fake.NewClientset(headless, web)
	c := NewCluster("test", client, Nodes{}, Options{})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	for _, es := range []*discoveryv1.EndpointSlice{named("db", "db-0", "10.1.0.1"), named("web", "web-0", "10.1.0.2")} {
		if _, err := client.DiscoveryV1().EndpointSlices("ns").Create(t.Context(), es, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the slices", func() bool { return c.Shard("ns", "db").Healthy && c.Shard("ns", "web").Healthy })
	if got := c.Shard("ns", "db").Hostname(0); got != "db-0" {
		t.Errorf("Expected the headless endpoint named db-0, got %q", got)
	}
	for _, es := range c.endpointSlices("ns", "web") {
		if es.hosts != nil || es.ports != nil {
			t.Errorf("Expected no hostnames or ports kept for a ClusterIP Service's slice, got %v %v", es.hosts, es.ports)
		}
	}
}

// TestServiceExportsOfEitherVersion: a cluster that serves ServiceExports
// in v1beta1 only has its exports read all the same (SPEC 12).
func TestServiceExportsOfEitherVersion(t *testing.T) {
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	beta := serviceExport("ns", "web")
	beta.APIVersion = ServiceExportsBeta.GroupVersion().String()
	exports := metadatafake.NewSimpleMetadataClient(scheme)
	if _, err := exports.Resource(ServiceExportsBeta).Namespace("ns").(metadatafake.MetadataClient).CreateFake(beta, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	notServed := func(a clienttesting.Action) bool { return a.GetResource().Version == ServiceExports.Version }
	exports.PrependReactor("list", "serviceexports", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return notServed(a), nil, apierrors.NewNotFound(ServiceExports.GroupResource(), "")
	})
	exports.PrependWatchReactor("serviceexports", func(a clienttesting.Action) (bool, watch.Interface, error) {
		return notServed(a), nil, apierrors.NewNotFound(ServiceExports.GroupResource(), "")
	})
	ready := true
	c := NewCluster("test", fake.NewClientset(loadBalancer("web", "203.0.113.1"),
		zonedSlice("web", discoveryv1.Endpoint{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})),
		Nodes{}, Options{Exported: true, Metadata: exports})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	eventually(t, "the v1beta1 export", func() bool { return c.View("ns", "web").Exported })
}

// TestClustersetRoleMissingIsNoOutage: a cluster that refuses CoreDNS its
// ClusterProperties, ServiceImports and ServiceExports (a role without
// deploy/rbac-clusterset.yaml) still answers: its caches sync, its API
// counts as answering, so a member keeps its shards, and its id is its
// name (SPEC 12.2).
func TestClustersetRoleMissingIsNoOutage(t *testing.T) {
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	forbidden := apierrors.NewForbidden(ClusterProperties.GroupResource(), "", errors.New("no role"))
	meta := metadatafake.NewSimpleMetadataClient(scheme)
	meta.PrependReactor("list", "*", func(clienttesting.Action) (bool, runtime.Object, error) { return true, nil, forbidden })
	meta.PrependWatchReactor("*", func(clienttesting.Action) (bool, watch.Interface, error) { return true, nil, forbidden })
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		ClusterProperties: "ClusterPropertyList", ServiceImports: "ServiceImportList", ServiceImportsBeta: "ServiceImportList",
	})
	dyn.PrependReactor("list", "*", func(clienttesting.Action) (bool, runtime.Object, error) { return true, nil, forbidden })
	dyn.PrependWatchReactor("*", func(clienttesting.Action) (bool, watch.Interface, error) { return true, nil, forbidden })
	c := NewCluster("test", fake.NewClientset(), Nodes{}, Options{Clusterset: true, Imports: true, Metadata: meta, Dynamic: dyn})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	if since, err := c.Down(); !since.IsZero() {
		t.Errorf("Expected the cluster's API to count as answering, got down since %v: %v", since, err)
	}
	if id := c.ID(); id != "" {
		t.Errorf("Expected no id, got %q", id)
	}
}
