//go:build e2e

package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// The MCS API's resources, as the tests write them: spelled here, not
// taken from the plugin, so a wrong resource in the plugin fails the test.
var (
	exportsAlpha = serviceExportResource // selection_test.go's
	exportsBeta  = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1beta1", Resource: "serviceexports"}
	importsAlpha = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceimports"}
	properties   = schema.GroupVersionResource{Group: "about.k8s.io", Version: "v1alpha1", Resource: "clusterproperties"}
)

const clusterset = "svc.clusterset.local."

// mcsCluster is a cluster of the test bed with MCS CRDs installed.
type mcsCluster struct {
	*testbed.Cluster
	dyn     dynamic.Interface
	exports schema.GroupVersionResource // the ServiceExport version it serves
}

// withMCS installs the CRDs of files (testdata) in c until the test ends;
// exports is the ServiceExport version they serve.
func withMCS(t *testing.T, c *testbed.Cluster, exports schema.GroupVersionResource, files ...string) *mcsCluster {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		crds, err := c.Apply(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, crd := range crds {
			t.Cleanup(func() {
				_ = dyn.Resource(crdResource).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{})
			})
		}
	}
	return &mcsCluster{Cluster: c, dyn: dyn, exports: exports}
}

// create creates obj of resource gvr until the test ends, once its CRD is
// served.
func (c *mcsCluster) create(t *testing.T, gvr schema.GroupVersionResource, obj map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	api := dynamic.ResourceInterface(c.dyn.Resource(gvr))
	if u.GetNamespace() != "" {
		api = c.dyn.Resource(gvr).Namespace(u.GetNamespace())
	}
	eventually(t, "create "+gvr.Resource+" "+u.GetName()+" in "+c.Name, func() error {
		_, err := api.Create(context.Background(), u, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	t.Cleanup(func() { _ = api.Delete(context.Background(), u.GetName(), metav1.DeleteOptions{}) })
}

// export creates the ServiceExport of name in the seed namespace.
func (c *mcsCluster) export(t *testing.T, name string) {
	t.Helper()
	c.create(t, c.exports, map[string]any{
		"apiVersion": c.exports.GroupVersion().String(), "kind": "ServiceExport",
		"metadata": map[string]any{"name": name, "namespace": testbed.Namespace},
	})
}

// unexport deletes the ServiceExport of name.
func (c *mcsCluster) unexport(t *testing.T, name string) {
	t.Helper()
	if err := c.dyn.Resource(c.exports).Namespace(testbed.Namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setID gives the cluster the id.k8s.io ClusterProperty id.
func (c *mcsCluster) setID(t *testing.T, id string) {
	t.Helper()
	c.create(t, properties, map[string]any{
		"apiVersion": "about.k8s.io/v1alpha1", "kind": "ClusterProperty",
		"metadata": map[string]any{"name": "id.k8s.io"}, "spec": map[string]any{"value": id},
	})
}

// endpoint is a ready endpoint of a test Service: its hostname ("" for
// none) and address.
type endpoint struct{ host, addr string }

// pgPort is the port of the headless Services' endpoints.
var pgPort = discoveryv1.EndpointPort{Name: new("pg"), Protocol: new(corev1.ProtocolTCP), Port: new(int32(5432))}

// headlessService creates the headless Service name with a ready
// EndpointSlice of eps on the seed node in zone, until the test ends.
func headlessService(t *testing.T, c *testbed.Cluster, name, zone string, eps ...endpoint) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testbed.Namespace},
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}},
	}
	createService(t, c, svc)
	createSlice(t, c, name+"-x", map[string]string{discoveryv1.LabelServiceName: name}, zone, eps)
}

// createSlice creates a ready IPv4 EndpointSlice called name with labels
// and the endpoints eps in zone, serving pgPort, until the test ends.
func createSlice(t *testing.T, c *testbed.Cluster, name string, labels map[string]string, zone string, eps []endpoint) {
	t.Helper()
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: testbed.Namespace, Labels: labels},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{pgPort},
		Endpoints:   readyEndpoints(zone, eps),
	}
	if _, err := c.Client.DiscoveryV1().EndpointSlices(testbed.Namespace).Create(context.Background(), es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Client.DiscoveryV1().EndpointSlices(testbed.Namespace).Delete(context.Background(), es.Name, metav1.DeleteOptions{})
	})
}

func readyEndpoints(zone string, eps []endpoint) []discoveryv1.Endpoint {
	out := make([]discoveryv1.Endpoint, 0, len(eps))
	for _, e := range eps {
		ep := discoveryv1.Endpoint{Addresses: []string{e.addr}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)}, NodeName: new(testbed.Node), Zone: new(zone)}
		if e.host != "" {
			ep.Hostname = new(e.host)
		}
		out = append(out, ep)
	}
	return out
}

// createService creates svc in c until the test ends.
func createService(t *testing.T, c *testbed.Cluster, svc *corev1.Service) {
	t.Helper()
	if _, err := c.Client.CoreV1().Services(svc.Namespace).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteService(svc.Name) })
}

// mcsSlice is an EndpointSlice as an MCS controller copies it into the
// importing cluster, read by stock CoreDNS's multicluster option.
func mcsSlice(t *testing.T, c *testbed.Cluster, name, source, zone string, eps ...endpoint) {
	t.Helper()
	createSlice(t, c, name+"-"+source, map[string]string{
		"multicluster.kubernetes.io/service-name": name, "multicluster.kubernetes.io/source-cluster": source,
	}, zone, eps)
}

// serviceImport is the local ServiceImport of name: of type typ, with ips.
func serviceImport(name, typ string, ips ...any) map[string]any {
	return map[string]any{
		"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
		"metadata": map[string]any{"name": name, "namespace": testbed.Namespace},
		"spec": map[string]any{"type": typ, "ips": ips,
			"ports": []any{map[string]any{"name": "pg", "protocol": "TCP", "port": int64(5432)}}},
	}
}

// TestClustersetNames: the clusterset.local names of SPEC 12, every row of
// its table asked with dig of a plugin whose clusterset is the local
// cluster (ServiceExport v1alpha1, ServiceImports, id "central"), us-east1
// (v1alpha1, no id: its member name) and europe-west1 (ServiceExport
// v1beta1 only, the two-label id europe.west); the same names compared
// with stock CoreDNS's multicluster option over the same ServiceImports
// and MCS EndpointSlices; and asked through a pod's resolv.conf by glibc
// and Go's resolver.
func TestClustersetNames(t *testing.T) {
	local := withMCS(t, bed.Cluster(localCluster), exportsAlpha, "serviceexport-crd.yaml", "serviceimport-crd.yaml", "clusterproperty-crd.yaml")
	east := withMCS(t, bed.Cluster("gce-us-east1"), exportsAlpha, "serviceexport-crd.yaml", "clusterproperty-crd.yaml")
	europe := withMCS(t, bed.Cluster("gce-europe-west1"), exportsBeta, "serviceexport-v1beta1-crd.yaml", "clusterproperty-crd.yaml")
	local.setID(t, "central")
	europe.setID(t, "europe.west")

	// cs-web: ClusterIP, exported here, ports tcp/42, udp/42 and http; in
	// us-east1 a LoadBalancer shard the federation zone publishes.
	web := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cs-web", Namespace: testbed.Namespace},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "t42", Port: 42, Protocol: corev1.ProtocolTCP},
			{Name: "u42", Port: 42, Protocol: corev1.ProtocolUDP},
			{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP},
		}},
	}
	createService(t, local.Cluster, web)
	if err := local.SetEndpoints("cs-web", localZone, 1, true); err != nil {
		t.Fatal(err)
	}
	local.export(t, "cs-web")
	shardOf(t, east.Cluster, "cs-web", "us-east1-b", "203.0.113.91", false)
	webIP := clusterIP(t, localCluster, "cs-web")

	// cs-db: a StatefulSet-like headless service in two clusters, its pods
	// named alike.
	headlessService(t, local.Cluster, "cs-db", localZone, endpoint{"db-0", "10.10.0.1"}, endpoint{"db-1", "10.10.0.2"})
	headlessService(t, east.Cluster, "cs-db", "us-east1-b", endpoint{"db-0", "10.20.0.1"})
	local.export(t, "cs-db")
	east.export(t, "cs-db")
	// cs-two: only in europe-west1, whose id has two labels.
	headlessService(t, europe.Cluster, "cs-two", "europe-west1-b", endpoint{"a", "10.30.0.1"})
	europe.export(t, "cs-two")
	// cs-half: in two clusters, exported from us-east1 only.
	headlessService(t, local.Cluster, "cs-half", localZone, endpoint{"", "10.10.9.1"})
	headlessService(t, east.Cluster, "cs-half", "us-east1-b", endpoint{"", "10.20.9.1"})
	east.export(t, "cs-half")
	// cs-imp: a ServiceImport with a ClusterSetIP of an MCS data plane.
	local.create(t, importsAlpha, serviceImport("cs-imp", "ClusterSetIP", "10.96.50.50"))

	// The members are read with the member identity and exactly the
	// roles of deploy/rbac.yaml and deploy/rbac-clusterset.yaml.
	members := make([]string, 0, 2)
	for _, m := range []*mcsCluster{east, europe} {
		for _, f := range []string{"rbac.yaml", "rbac-clusterset.yaml"} {
			if _, err := m.Apply(filepath.Join("..", "deploy", f)); err != nil {
				t.Fatal(err)
			}
		}
		kc := serviceAccountKubeconfig(t, m.Cluster, "federation-clusterset", "federation-dns", "federation-dns-clusterset")
		members = append(members, memberLine(m.Name, kc))
	}
	s := startWith(t, serverConfig{
		kubeconfig: local.Kubeconfig, zones: "cluster.local clusterset.local example.com", kubernetes: true,
		block: append([]string{"ttl 5", "member " + localCluster + " local", "clusterset myfederation"}, members...),
	})
	soa := "clusterset.local."
	for _, row := range []struct {
		name, qtype string
		want        answer
	}{
		{"dns-version.clusterset.local.", "TXT", want("NOERROR", `dns-version.clusterset.local. TXT "1.0.0"`)},
		{"cs-web.mynamespace." + clusterset, "A", want("NOERROR", "cs-web.mynamespace."+clusterset+" A "+webIP)},
		{"cs-web.mynamespace." + clusterset, "TXT", want("NOERROR").withSOA(soa)},
		// tcp/42 and udp/42: one bare-name record.
		{"cs-web.mynamespace." + clusterset, "SRV", want("NOERROR",
			"cs-web.mynamespace."+clusterset+" SRV 0 50 42 cs-web.mynamespace."+clusterset,
			"cs-web.mynamespace."+clusterset+" SRV 0 50 80 cs-web.mynamespace."+clusterset)},
		{"_http._tcp.cs-web.mynamespace." + clusterset, "SRV", want("NOERROR",
			"_http._tcp.cs-web.mynamespace."+clusterset+" SRV 0 100 80 cs-web.mynamespace."+clusterset)},
		{"_http._udp.cs-web.mynamespace." + clusterset, "SRV", want("NXDOMAIN").withSOA(soa)},
		{"cs-imp.mynamespace." + clusterset, "A", want("NOERROR", "cs-imp.mynamespace."+clusterset+" A 10.96.50.50")},
		// Headless, ready here: the local endpoints.
		{"cs-db.mynamespace." + clusterset, "A", want("NOERROR",
			"cs-db.mynamespace."+clusterset+" A 10.10.0.1", "cs-db.mynamespace."+clusterset+" A 10.10.0.2")},
		{"cs-db.mynamespace." + clusterset, "AAAA", want("NOERROR").withSOA(soa)},
		{"cs-db.mynamespace." + clusterset, "SRV", want("NOERROR",
			"cs-db.mynamespace."+clusterset+" SRV 0 50 5432 db-0.central.cs-db.mynamespace."+clusterset,
			"cs-db.mynamespace."+clusterset+" SRV 0 50 5432 db-1.central.cs-db.mynamespace."+clusterset)},
		// Pods named alike: each name its own cluster's address.
		{"db-0.central.cs-db.mynamespace." + clusterset, "A", want("NOERROR", "db-0.central.cs-db.mynamespace."+clusterset+" A 10.10.0.1")},
		{"db-0.gce-us-east1.cs-db.mynamespace." + clusterset, "A", want("NOERROR", "db-0.gce-us-east1.cs-db.mynamespace."+clusterset+" A 10.20.0.1")},
		{"db-1.gce-us-east1.cs-db.mynamespace." + clusterset, "A", want("NXDOMAIN").withSOA(soa)},
		// A two-label cluster id.
		{"cs-two.mynamespace." + clusterset, "A", want("NOERROR", "cs-two.mynamespace."+clusterset+" A 10.30.0.1")},
		{"a.europe.west.cs-two.mynamespace." + clusterset, "A", want("NOERROR", "a.europe.west.cs-two.mynamespace."+clusterset+" A 10.30.0.1")},
		// Present in two clusters, exported from one: only its addresses.
		{"cs-half.mynamespace." + clusterset, "A", want("NOERROR", "cs-half.mynamespace."+clusterset+" A 10.20.9.1")},
		// <clusterid>.<svc>.<ns>: reserved.
		{"central.cs-db.mynamespace." + clusterset, "A", want("NXDOMAIN").withSOA(soa)},
		{"europe.west.cs-two.mynamespace." + clusterset, "A", want("NXDOMAIN").withSOA(soa)},
		// Exported nowhere.
		{"nginx.mynamespace." + clusterset, "A", want("NXDOMAIN").withSOA(soa)},
		// cluster.local is unchanged.
		{"cs-web.mynamespace.svc.cluster.local.", "A", want("NOERROR", "cs-web.mynamespace.svc.cluster.local. A "+webIP)},
	} {
		s.expectDig(t, row.name, row.qtype, row.want)
	}

	// Through a pod's resolv.conf, whose search path has no clusterset
	// entry: asked as an absolute name.
	s.expectGetent(t, "cs-web.mynamespace.svc.clusterset.local.", webIP)
	s.expectGoResolver(t, "cs-db.mynamespace.svc.clusterset.local.", "10.10.0.1", "10.10.0.2")

	// The local shard of cs-web fails: the federated name's answer, the
	// CNAME up the federation zone; us-east1's published shard is not
	// reached while us-east1 does not export the service, and is once it
	// does.
	if err := local.SetEndpoints("cs-web", localZone, 1, false); err != nil {
		t.Fatal(err)
	}
	global := "cs-web.mynamespace.myfederation.svc.example.com."
	s.expectDig(t, "cs-web.mynamespace."+clusterset, "A", want("NXDOMAIN", "cs-web.mynamespace."+clusterset+" CNAME "+global).withSOA("example.com."))
	s.expectDig(t, global, "A", want("NOERROR", global+" A 203.0.113.91")) // the federated name's own level
	east.export(t, "cs-web")
	s.expectDig(t, "cs-web.mynamespace."+clusterset, "A", want("NOERROR",
		"cs-web.mynamespace."+clusterset+" CNAME "+global, global+" A 203.0.113.91"))
	s.expectGetent(t, "cs-web.mynamespace.svc.clusterset.local.", "203.0.113.91")
	// SRV fails over with its port labels, and the federation zone
	// answers SRV at the level: its shard's port, the level name.
	srv := "_http._tcp.cs-web.mynamespace." + clusterset
	s.expectDig(t, srv, "SRV", want("NOERROR", srv+" CNAME _http._tcp."+global, "_http._tcp."+global+" SRV 0 100 80 "+global))
	fedSRV := "_http._tcp.nginx.mynamespace.myfederation.svc.cluster.local."
	s.expectDig(t, fedSRV, "SRV", want("NOERROR", fedSRV+" SRV 0 100 80 nginx.mynamespace.myfederation.svc.cluster.local."))

	// Unexported: gone after one watch event.
	europe.unexport(t, "cs-two")
	s.expectDig(t, "cs-two.mynamespace."+clusterset, "A", want("NXDOMAIN").withSOA(soa))
	local.unexport(t, "cs-db")
	s.expectDig(t, "cs-db.mynamespace."+clusterset, "A", want("NOERROR", "cs-db.mynamespace."+clusterset+" A 10.20.0.1"))
	s.expectDig(t, "db-0.central.cs-db.mynamespace."+clusterset, "A", want("NXDOMAIN").withSOA(soa))

	t.Run("stock CoreDNS", func(t *testing.T) { matchesStock(t, s, local, east, europe) })
}

// matchesStock compares the plugin's answer sections with stock CoreDNS's
// kubernetes plugin and its multicluster option, over the ServiceImports
// and MCS EndpointSlices an MCS controller would have written in the local
// cluster: every ClusterSetIP question with a ServiceImport, and every
// headless question while the local cluster has no ready endpoint.
func matchesStock(t *testing.T, s *server, local, east, europe *mcsCluster) {
	t.Helper()
	// st-hl: headless in us-east1 and europe-west1, none here: every
	// exporting cluster answers (the global level).
	headlessService(t, east.Cluster, "st-hl", "us-east1-b", endpoint{"h0", "10.20.1.1"}, endpoint{"h1", "10.20.1.2"})
	headlessService(t, europe.Cluster, "st-hl", "europe-west1-b", endpoint{"h0", "10.30.1.1"})
	east.export(t, "st-hl")
	europe.export(t, "st-hl")
	local.create(t, importsAlpha, serviceImport("st-hl", "Headless"))
	mcsSlice(t, local.Cluster, "st-hl", "gce-us-east1", "us-east1-b", endpoint{"h0", "10.20.1.1"}, endpoint{"h1", "10.20.1.2"})
	mcsSlice(t, local.Cluster, "st-hl", "europe.west", "europe-west1-b", endpoint{"h0", "10.30.1.1"})
	local.create(t, importsAlpha, serviceImport("st-ip", "ClusterSetIP", "10.96.60.60", "fd00::60"))

	host := newHost()
	oracle := runServer(t, t.TempDir(), host, fmt.Sprintf(
		"clusterset.local:53 {\n\tbind %s\n\tkubernetes cluster.local clusterset.local {\n\t\tkubeconfig %s\n\t\tmulticluster clusterset.local\n\t}\n}\n", host, local.Kubeconfig))
	questions := []struct{ name, qtype string }{
		{"st-ip.mynamespace." + clusterset, "A"},
		{"st-ip.mynamespace." + clusterset, "AAAA"},
		{"cs-imp.mynamespace." + clusterset, "A"},
		{"cs-imp.mynamespace." + clusterset, "AAAA"},
		{"st-hl.mynamespace." + clusterset, "A"},
		{"st-hl.mynamespace." + clusterset, "AAAA"},
		{"h0.gce-us-east1.st-hl.mynamespace." + clusterset, "A"},
		{"h1.gce-us-east1.st-hl.mynamespace." + clusterset, "A"},
		// Endpoint names of the two-label id europe.west are asked of
		// the plugin alone, above.
	}
	for _, q := range questions {
		eventually(t, "stock CoreDNS and the plugin on "+q.name+" "+q.qtype, func() error {
			mine, err := s.dig("udp", q.name, q.qtype)
			if err != nil {
				return err
			}
			stock, err := oracle.dig("udp", q.name, q.qtype)
			if err != nil {
				return err
			}
			if len(stock.records) == 0 && q.qtype == "A" {
				return fmt.Errorf("stock CoreDNS has no answer yet: %v", stock)
			}
			slices.Sort(mine.records)
			slices.Sort(stock.records)
			if !slices.Equal(mine.records, stock.records) {
				return fmt.Errorf("the plugin answers %v, stock CoreDNS %v", mine.records, stock.records)
			}
			return nil
		})
	}
}

// expectGoResolver resolves name with Go's own resolver (PreferGo) as a
// pod would, through the pod's resolv.conf: this test binary, run again
// in a private mount namespace (see TestMain), until it prints addrs.
func (s *server) expectGoResolver(t *testing.T, name string, addrs ...string) {
	t.Helper()
	resolv := s.podResolvConf(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "Go's resolver on "+name, func() error {
		cmd := exec.Command("unshare", "-m", "sh", "-c", `mount --bind "$1" /etc/resolv.conf && exec "$2"`, "sh", resolv, self)
		cmd.Env = append(os.Environ(), goResolveEnv+"="+name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, addrs) {
			return fmt.Errorf("got %v, want %v", got, addrs)
		}
		return nil
	})
}
