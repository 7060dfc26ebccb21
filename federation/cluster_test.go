package federation

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("Timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startCluster(tb testing.TB, client *fake.Clientset, node string) *Cluster {
	tb.Helper()
	c := NewCluster("test", client, Nodes{Name: node}, Options{})
	c.Start(nil)
	tb.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		tb.Fatal("Caches did not sync")
	}
	return c
}

func TestClusterShardFollowsWatch(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	c := startCluster(t, client, "")

	if s := c.Shard("ns", "web"); s.Kind != Missing {
		t.Fatalf("Expected a missing shard, got %+v", s)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Annotations: map[string]string{"big": "dropped"}},
		Spec:       corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1"}},
	}
	if _, err := client.CoreV1().Services("ns").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "service", func() bool { return c.Shard("ns", "web").Kind == ClusterIP })
	for _, obj := range c.services.GetStore().List() {
		if _, ok := obj.(*service); !ok {
			t.Errorf("Expected the cache to hold compact services, got %T", obj)
		}
	}
	if c.Shard("ns", "web").Healthy {
		t.Error("Expected a service without endpoints to be unhealthy")
	}

	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{endpoint("10.1.0.1", new(false), nil)},
	}
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "slice", func() bool { return len(c.endpointSlices("ns", "web")) == 1 })
	if c.Shard("ns", "web").Healthy {
		t.Error("Expected a not-ready endpoint to leave the service unhealthy")
	}

	es.Endpoints[0].Conditions.Ready = new(true)
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Update(ctx, es, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready endpoint", func() bool { return c.Shard("ns", "web").Healthy })

	if err := client.DiscoveryV1().EndpointSlices("ns").Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "endpoint removal", func() bool { return !c.Shard("ns", "web").Healthy })

	// A slice that names a deleted service does not make it healthy.
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := client.CoreV1().Services("ns").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "service deletion", func() bool { return c.Shard("ns", "web").Kind == Missing })
}

func TestClusterNodeTopology(t *testing.T) {
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{
		"topology.kubernetes.io/zone": "z1", "topology.kubernetes.io/region": "r1", "other": "dropped",
	}}}
	other := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b"}}
	client := fake.NewClientset(node, other)
	c := startCluster(t, client, "node-a")

	if got, err := c.NodeTopology("node-a"); err != nil || got != (Topology{"z1", "r1"}) {
		t.Fatalf("Expected z1/r1, got %+v %v", got, err)
	}
	node.Labels["topology.kubernetes.io/zone"] = "z2"
	if _, err := client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "zone label change", func() bool { got, _ := c.NodeTopology("node-a"); return got.Zone == "z2" })

	if _, err := NewCluster("x", client, Nodes{}, Options{}).NodeTopology(""); err == nil {
		t.Error("Expected an error without a node name")
	}
	missing := startCluster(t, fake.NewClientset(), "node-c")
	if _, err := missing.NodeTopology("node-c"); err == nil {
		t.Error("Expected an error for a node that does not exist")
	}
}

func TestClusterContact(t *testing.T) {
	client := fake.NewClientset()
	changes := make(chan struct{}, 10)
	c := NewCluster("test", client, Nodes{}, Options{})
	c.Start(func() { changes <- struct{}{} })
	t.Cleanup(c.Stop)
	eventually(t, "sync notification", func() bool { return len(changes) == 1 })
	if !c.Synced() {
		t.Fatal("Expected the cluster to be synced when it says so")
	}

	c.contact.watchError("services", errors.New("connection refused"))
	if since, err := c.Down(); since.IsZero() || err == nil || c.Synced() {
		t.Fatalf("Expected the cluster to be down, got %v %v", since, err)
	}
	eventually(t, "down notification", func() bool { return len(changes) == 2 })
	c.contact.watchError("services", io.EOF) // a normal end of a watch
	c.contact.watchError("services", apierrors.NewResourceExpired("too old resource version"))
	c.contact.watchError("services", apierrors.NewGone("gone")) //nolint:staticcheck // apiservers before 1.18 send Gone
	if since, _ := c.Down(); since.IsZero() {
		t.Fatal("Expected a closed or expired watch (410 Gone, then a relist) to leave the state alone")
	}
	c.contact.observe("services", nil) // a list or watch call that succeeded
	if since, _ := c.Down(); !since.IsZero() || !c.Synced() {
		t.Fatal("Expected the cluster to be back")
	}
	eventually(t, "up notification", func() bool { return len(changes) == 3 })
}

// TestContactExpiredIsNoOutage: a 410 Gone or a too-large resource version,
// from a list or a watch, is a normal relist while the API answers (SPEC
// 4.5.1), never an outage.
func TestContactExpiredIsNoOutage(t *testing.T) {
	tooLarge := apierrors.NewTimeoutError("Too large resource version", 1)
	tooLarge.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: metav1.CauseTypeResourceVersionTooLarge}}
	for _, err := range []error{
		apierrors.NewResourceExpired("too old resource version"),
		apierrors.NewGone("gone"), //nolint:staticcheck // apiservers before 1.18 send Gone
		tooLarge,
	} {
		var c contact
		c.observe("services", err)
		c.watchError("endpointslices", err)
		if since, _ := c.down(); !since.IsZero() {
			t.Errorf("Expected %v not to count as a failed contact", err)
		}
	}
}

// TestContactPerResource: an API that answers Services but refuses
// EndpointSlices (403) stays down, and its error names the resource; it
// does not flip each time the Services call succeeds (SPEC 4.5.1).
func TestContactPerResource(t *testing.T) {
	var c contact
	flips := 0
	c.onChange = func() { flips++ }
	forbidden := apierrors.NewForbidden(discoveryv1.Resource("endpointslices"), "", errors.New("no RBAC"))
	for range 3 {
		c.observe("services", nil)
		c.observe("endpointslices", forbidden)
	}
	since, err := c.down()
	if since.IsZero() || err == nil || !strings.HasPrefix(err.Error(), "endpointslices: ") {
		t.Fatalf("Expected the cluster down with an error naming endpointslices, got %v %v", since, err)
	}
	if !apierrors.IsForbidden(err) {
		t.Errorf("Expected the API's error wrapped, got %v", err)
	}
	if flips != 1 {
		t.Errorf("Expected one change of state, got %d", flips)
	}
	c.observe("services", errors.New("connection refused"))
	if s, _ := c.down(); !s.Equal(since) {
		t.Errorf("Expected the outage counted from the first failed contact %v, got %v", since, s)
	}
	c.observe("endpointslices", nil)
	if s, err := c.down(); s.IsZero() || !strings.HasPrefix(err.Error(), "services: ") {
		t.Errorf("Expected the cluster still down through services, got %v %v", s, err)
	}
	c.observe("services", nil)
	if s, _ := c.down(); !s.IsZero() {
		t.Error("Expected the cluster back once every resource answers")
	}
}
