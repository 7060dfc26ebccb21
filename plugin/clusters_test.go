package plugin

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/federated-dns/federation/federation"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestStopLeavesNoGoroutine starts and stops the watches as a reload does,
// several times, and checks every goroutine they started has returned.
func TestStopLeavesNoGoroutine(t *testing.T) {
	start := func() *Federation {
		local := federation.NewCluster("local", fake.NewClientset(), federation.Nodes{Name: "n1"}, federation.Options{})
		there := federation.NewCluster("there", fake.NewClientset(), federation.Nodes{All: true}, federation.Options{})
		f := New(testConfig(topo, "n1"), Watchers{
			Local:     federation.NewLocalCluster(local),
			Members:   []*federation.Member{federation.NewMember("here", local, time.Second), federation.NewMember("there", there, time.Second)},
			Watches:   []*federation.Cluster{local, there},
			Hostnames: NewHostnames(func(context.Context, string, uint16) ([]netip.Addr, uint32, error) { return nil, 0, nil }),
		}, nil)
		f.Start()
		if !f.WaitForSync(5 * time.Second) {
			t.Fatal("Caches did not sync")
		}
		if !there.WaitForSync(5 * time.Second) {
			t.Fatal("The member's caches did not sync")
		}
		if !f.Ready() {
			t.Error("Expected ready once every cluster has synced")
		}
		return f
	}
	start().Stop() // warm up what client-go starts once per process
	before := runtime.NumGoroutine()
	for range 3 {
		start().Stop()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("Expected at most %d goroutines after three reloads, got %d:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestSharedWatchReadsTheDecisionsView: a member that shares the local
// watch reads its shard from the view the decision read, not from the
// caches again: a change between the two reads cannot make one answer of
// the local shard before it and the member's shard after it.
func TestSharedWatchReadsTheDecisionsView(t *testing.T) {
	ready := true
	client := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"topology.kubernetes.io/zone": "z1", "topology.kubernetes.io/region": "r1"}}},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
			Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.1"}}}},
		},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}, NodeName: new("n1")}},
		},
	)
	local := federation.NewCluster("local", client, federation.Nodes{All: true}, federation.Options{})
	local.Start(nil)
	t.Cleanup(local.Stop)
	if !local.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	w := &watched{ws: &Watchers{Local: federation.NewLocalCluster(local), Members: []*federation.Member{federation.NewMember("here", local, time.Second)}}}
	before := w.Local("ns", "web")
	if !before.Shard.Healthy || !before.IsPublished {
		t.Fatalf("Expected a healthy, published shard, got %+v", before)
	}
	if err := client.DiscoveryV1().EndpointSlices("ns").Delete(context.Background(), "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for local.Shard("ns", "web").Healthy {
		if time.Now().After(deadline) {
			t.Fatal("The deletion was not seen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	now := time.Now()
	if shards, _ := w.Shards("ns", "web", before, now); len(shards) != 1 || shards[0].Cluster != "here" {
		t.Errorf("Expected the member's shard from the view read before the change, got %+v", shards)
	}
	after := w.Local("ns", "web")
	if shards, _ := w.Shards("ns", "web", after, now); len(shards) != 0 {
		t.Errorf("Expected no shard from the view read after the change, got %+v", shards)
	}
}
