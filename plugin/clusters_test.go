package plugin

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/federated-dns/federation/federation"

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
