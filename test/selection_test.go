//go:build e2e

package test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// selected is the label of the Services a platform team federates.
const selectedLabel, selectedValue = testbed.SelectorLabel, "true"

// shardOf creates Service name in cluster c, LoadBalancer with ingress ip
// and one ready endpoint in zone, labelled as selected or not, until the
// test ends.
func shardOf(t *testing.T, c *testbed.Cluster, name, zone, ip string, selected bool) {
	t.Helper()
	var labels map[string]string
	if selected {
		labels = map[string]string{selectedLabel: selectedValue}
	}
	if err := c.CreateLabelledService(name, corev1.ServiceTypeLoadBalancer, labels); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteService(name) })
	if err := c.SetIngress(name, ip); err != nil {
		t.Fatal(err)
	}
	if err := c.SetEndpoints(name, zone, 1, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.SetEndpoints(name, zone, 0, true) })
}

// TestServicesSelector: with `services selector`, a selected local shard
// answers locally and an unselected one is no shard (CNAME); a selected
// member shard is published and an unselected one is not; and every list
// and watch of Services and EndpointSlices the API servers saw from the
// plugin carried the selector (their audit logs).
func TestServicesSelector(t *testing.T) {
	local, east := bed.Cluster(localCluster), bed.Cluster("gce-us-east1")
	shardOf(t, local, "sel-in", localZone, "203.0.113.61", true)
	shardOf(t, local, "sel-out", localZone, "203.0.113.62", false)
	shardOf(t, east, "sel-in", "us-east1-b", "203.0.113.63", true)
	shardOf(t, east, "sel-out", "us-east1-b", "203.0.113.64", false)
	start := time.Now()
	selector := selectedLabel + "=" + selectedValue
	s := startWith(t, serverConfig{
		kubeconfig: local.Kubeconfig, zones: "cluster.local example.com", kubernetes: true,
		block: []string{"services selector " + selector, memberLine("gce-us-east1", east.Kubeconfig)},
	})
	name := func(svc string) string { return svc + ".mynamespace.myfederation.svc.cluster.local." }
	level := func(svc string) string { return svc + ".mynamespace.myfederation.svc.us-east1-b.us-east1.example.com." }
	global := func(svc string) string { return svc + ".mynamespace.myfederation.svc.example.com." }

	s.expectDig(t, name("sel-in"), "A", want("NOERROR", name("sel-in")+" A "+clusterIP(t, localCluster, "sel-in")))
	s.expectDig(t, level("sel-in"), "A", want("NOERROR", level("sel-in")+" A 203.0.113.63"))
	// Unselected: no shard here, none published there; the global level
	// of a service without any shard is NXDOMAIN.
	s.expectDig(t, name("sel-out"), "A", want("NXDOMAIN", name("sel-out")+" CNAME "+global("sel-out")).withSOA("example.com."))
	s.expectDig(t, level("sel-out"), "A", want("NXDOMAIN", level("sel-out")+" CNAME sel-out.mynamespace.myfederation.svc.us-east1.example.com.",
		"sel-out.mynamespace.myfederation.svc.us-east1.example.com. CNAME "+global("sel-out")).withSOA("example.com."))

	for _, c := range []*testbed.Cluster{local, east} {
		events, err := c.Audit("coredns/federation")
		if err != nil {
			t.Fatal(err)
		}
		counted := 0
		for _, e := range events {
			if e.StageTimestamp.Before(start) || (e.ObjectRef.Resource != "services" && e.ObjectRef.Resource != "endpointslices") {
				continue
			}
			counted++
			u, err := url.Parse(e.RequestURI)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query().Get("labelSelector"); got != selector {
				t.Errorf("%s: %s %s without the selector: %s", c.Name, e.Verb, e.ObjectRef.Resource, e.RequestURI)
			}
		}
		if counted == 0 {
			t.Errorf("%s: expected the plugin's lists and watches in the audit log", c.Name)
		}
	}
}

// serviceExports installs the ServiceExport CRD in cluster c until the
// test ends, and returns the API of its ServiceExports in the seed
// namespace.
func serviceExports(t *testing.T, c *testbed.Cluster) dynamic.ResourceInterface {
	t.Helper()
	if _, err := c.Apply(filepath.Join("testdata", "serviceexport-crd.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(crdResource).Delete(context.Background(), "serviceexports.multicluster.x-k8s.io", metav1.DeleteOptions{})
	})
	return dyn.Resource(serviceExportResource).Namespace(testbed.Namespace)
}

// TestServicesExported: with `services exported`, a member's Service is
// published only while its ServiceExport exists; a cluster without the
// ServiceExport CRD (the local one here) exports nothing and says so once.
func TestServicesExported(t *testing.T) {
	local, east := bed.Cluster(localCluster), bed.Cluster("gce-us-east1")
	exports := serviceExports(t, east)
	shardOf(t, east, "exp", "us-east1-b", "203.0.113.71", false)

	s := startWith(t, serverConfig{
		kubeconfig: local.Kubeconfig, zones: "cluster.local example.com", kubernetes: true,
		block: []string{"services exported", memberLine("gce-us-east1", east.Kubeconfig), memberLine(localCluster, local.Kubeconfig)},
	})
	level := "exp.mynamespace.myfederation.svc.us-east1.example.com."
	global := "exp.mynamespace.myfederation.svc.example.com."
	published := want("NOERROR", level+" A 203.0.113.71")
	unpublished := want("NXDOMAIN", level+" CNAME "+global).withSOA("example.com.")
	s.expectDig(t, level, "A", unpublished)

	export := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport",
		"metadata": map[string]any{"name": "exp", "namespace": testbed.Namespace},
	}}
	// The CRD is served a moment after it is created.
	eventually(t, "the ServiceExport created", func() error {
		_, err := exports.Create(t.Context(), export, metav1.CreateOptions{})
		return err
	})
	s.expectDig(t, level, "A", published)
	if err := exports.Delete(t.Context(), "exp", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, level, "A", unpublished)

	// The local cluster has no CRD: its nginx, healthy, is not exported,
	// so the in-cluster name fails over; the log says why, once.
	globalNginx := "nginx.mynamespace.myfederation.svc.example.com."
	s.expectDig(t, nginx, "CNAME", want("NOERROR", nginx+" CNAME "+globalNginx))
	if n := strings.Count(s.Log(), "has no ServiceExport CRD"); n != 1 {
		t.Errorf("Expected the missing CRD logged once (for the local cluster, watched once), got %d:\n%s", n, s.Log())
	}
}

// TestBadSelectorRefused: a selector that does not parse stops CoreDNS at
// load with the file and line.
func TestBadSelectorRefused(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "Corefile")
	corefile := fmt.Sprintf(".:0 {\n\tfederation cluster.local {\n\t\tmyfederation example.com\n\t\tkubeconfig %s\n\t\tservices selector in in in\n\t}\n}\n", bed.Cluster(localCluster).Kubeconfig)
	expectRefusal(t, conf, corefile, 5, `services: invalid selector "in in in"`)
}

var (
	crdResource           = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	serviceExportResource = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceexports"}
)
