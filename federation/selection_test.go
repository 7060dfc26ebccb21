package federation

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

// TestSelectorGoesToTheAPI: with a selector, every list and watch of
// Services and EndpointSlices carries it, so the API server filters
// (SPEC 9).
func TestSelectorGoesToTheAPI(t *testing.T) {
	client := fake.NewClientset()
	c := NewCluster("test", client, Nodes{}, Options{Selector: "federation.example.com/myfed=true"})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	seen := map[string]bool{}
	for _, a := range client.Actions() {
		if a.GetVerb() != "list" && a.GetVerb() != "watch" {
			continue
		}
		var sel string
		switch a := a.(type) {
		case clienttesting.ListAction:
			sel = a.GetListRestrictions().Labels.String()
		case clienttesting.WatchAction:
			sel = a.GetWatchRestrictions().Labels.String()
		}
		if sel != "federation.example.com/myfed=true" {
			t.Errorf("%s %s without the selector: %q", a.GetVerb(), a.GetResource().Resource, sel)
		}
		seen[a.GetResource().Resource] = true
	}
	if !seen["services"] || !seen["endpointslices"] {
		t.Errorf("Expected lists and watches of services and endpointslices, got %v", seen)
	}
}

func serviceExport(namespace, name string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "multicluster.x-k8s.io/v1alpha1", Kind: "ServiceExport"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
	}
}

// TestExportedServicesOnly: with exports read, a Service is a shard only
// while its ServiceExport exists, locally and published (SPEC 9).
func TestExportedServicesOnly(t *testing.T) {
	ready := true
	objs := []runtime.Object{
		loadBalancer("web", "203.0.113.1"),
		zonedSlice("web", discoveryv1.Endpoint{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}),
	}
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	exports := metadatafake.NewSimpleMetadataClient(scheme)
	c := NewCluster("test", fake.NewClientset(objs...), Nodes{}, Options{Exported: true, Metadata: exports})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	if s := c.Shard("ns", "web"); s.Kind != Missing {
		t.Errorf("Expected a Service without a ServiceExport to be no shard, got %+v", s)
	}
	if _, ok := c.PublishedShard("ns", "web"); ok {
		t.Error("Expected a Service without a ServiceExport not to be published")
	}
	api := exports.Resource(ServiceExports).Namespace("ns")
	if _, err := api.(metadatafake.MetadataClient).CreateFake(serviceExport("ns", "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the export", func() bool { return c.Shard("ns", "web").Kind == ClusterIP })
	if _, ok := c.PublishedShard("ns", "web"); !ok {
		t.Error("Expected the exported Service to be published")
	}
	if err := api.Delete(context.Background(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the export's removal", func() bool { return c.Shard("ns", "web").Kind == Missing })
}

// unreadableExports starts, with `services exported`, a cluster holding
// Service ns/web whose ServiceExports cannot be read: every list and watch
// of them fails with err.
func unreadableExports(t *testing.T, err error) *Cluster {
	t.Helper()
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	exports := metadatafake.NewSimpleMetadataClient(scheme)
	exports.PrependReactor("list", "serviceexports", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, err
	})
	exports.PrependWatchReactor("serviceexports", func(clienttesting.Action) (bool, watch.Interface, error) {
		return true, nil, err
	})
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1"}}
	c := NewCluster("test", fake.NewClientset(svc), Nodes{}, Options{Exported: true, Metadata: exports})
	c.Start(nil)
	t.Cleanup(c.Stop)
	return c
}

// TestNoServiceExportCRD: a cluster without the CRD (404) syncs, answers,
// and exports nothing; its API is not counted as failing.
func TestNoServiceExportCRD(t *testing.T) {
	c := unreadableExports(t, apierrors.NewNotFound(ServiceExports.GroupResource(), ""))
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync without the CRD")
	}
	if since, err := c.Down(); !since.IsZero() {
		t.Errorf("Expected a missing CRD not to count as a failed contact, got %v", err)
	}
	if s := c.Shard("ns", "web"); s.Kind != Missing {
		t.Errorf("Expected no exported service without the CRD, got %+v", s)
	}
}

// TestServiceExportsForbidden: a cluster whose RBAC does not let CoreDNS
// read ServiceExports has no exported service, and its caches still sync
// (the local DNS stays up and ready); the failed contact shows.
func TestServiceExportsForbidden(t *testing.T) {
	c := unreadableExports(t, apierrors.NewForbidden(ServiceExports.GroupResource(), "", errors.New("RBAC: no")))
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync without the right to read ServiceExports")
	}
	if since, err := c.Down(); since.IsZero() || !apierrors.IsForbidden(err) {
		t.Errorf("Expected the forbidden read to count as a failed contact, got %v", err)
	}
	if s := c.Shard("ns", "web"); s.Kind != Missing {
		t.Errorf("Expected no exported service, got %+v", s)
	}
}

// TestNodesByMetadata: with a metadata client, Nodes are read by their
// metadata only (labels are all topology needs), never in full.
func TestNodesByMetadata(t *testing.T) {
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	node := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
			"topology.kubernetes.io/zone": "z1", "topology.kubernetes.io/region": "r1", "kubernetes.io/hostname": "n1",
		}},
	}
	meta := metadatafake.NewSimpleMetadataClient(scheme, node)
	client := fake.NewClientset()
	c := NewCluster("test", client, Nodes{Name: "n1"}, Options{Metadata: meta})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	if topo, err := c.NodeTopology("n1"); err != nil || topo != (Topology{Zone: "z1", Region: "r1"}) {
		t.Errorf("Expected z1/r1 from the node's metadata, got %+v %v", topo, err)
	}
	for _, a := range client.Actions() {
		if a.GetResource().Resource == "nodes" {
			t.Errorf("Expected no full read of nodes, got %s", a.GetVerb())
		}
	}
}
