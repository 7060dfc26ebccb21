package federation

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// BenchmarkNodeIndexHeap measures the heap that 5,000 local Nodes cost as
// the local cluster keeps them (SPEC 5.3): the compact objects in an
// informer's store and the client index, each Node decoded from JSON as
// the watch delivers it and then dropped, as the informer's transform
// drops it; single-stack Nodes (one podCIDR each), and dual-stack ones. It reports MiB for all
// of them; the lookup is BenchmarkClientLookup.
func BenchmarkNodeIndexHeap(b *testing.B) {
	b.Run("single-stack", func(b *testing.B) { benchmarkNodeIndexHeap(b, false, true) })
	b.Run("dual-stack", func(b *testing.B) { benchmarkNodeIndexHeap(b, true, true) })
	// The Nodes as a member's are kept (labels only, no index): what the
	// index adds is the difference.
	b.Run("labels-only", func(b *testing.B) { benchmarkNodeIndexHeap(b, false, false) })
}

func benchmarkNodeIndexHeap(b *testing.B, dual, index bool) {
	b.Helper()
	const nodes = 5000
	api := make([]*corev1.Node, nodes)
	for i := range api {
		api[i] = &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gke-pool-%04d-abcd", i), ResourceVersion: "123456789", Labels: map[string]string{
				ZoneLabels[0]: fmt.Sprintf("us-central1-%c", 'a'+i%3), RegionLabels[0]: "us-central1",
				"kubernetes.io/hostname": fmt.Sprintf("gke-pool-%04d-abcd", i), "node.kubernetes.io/instance-type": "e2-standard-4",
			}},
			Spec: corev1.NodeSpec{PodCIDRs: []string{fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256)}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.128.%d.%d", i/256, i%256)},
				{Type: corev1.NodeHostName, Address: fmt.Sprintf("gke-pool-%04d-abcd", i)},
			}},
		}
	}
	if dual {
		for i, n := range api {
			n.Spec.PodCIDRs = append(n.Spec.PodCIDRs, fmt.Sprintf("fd00:10:%x::/64", i))
		}
	}
	wire := make([][]byte, nodes)
	for i, n := range api {
		var err error
		if wire[i], err = json.Marshal(n); err != nil {
			b.Fatal(err)
		}
	}
	var heap float64
	for b.Loop() {
		store := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
		var clients clientIndex
		before := heapInUse()
		for _, w := range wire {
			// Decoded as the informer receives it: strings of its own.
			n := &corev1.Node{}
			if err := json.Unmarshal(w, n); err != nil {
				b.Fatal(err)
			}
			var in any = n
			if !index {
				in = &metav1.PartialObjectMetadata{ObjectMeta: n.ObjectMeta}
			}
			obj, err := toNode(in)
			if err != nil {
				b.Fatal(err)
			}
			cached := obj.(*node)
			if err := store.Add(cached); err != nil {
				b.Fatal(err)
			}
			clients.update(cached.name, nodeAddrs{}, cached.addrs)
		}
		heap = float64(heapInUse()-before) / (1 << 20)
		runtime.KeepAlive(store)
		runtime.KeepAlive(&clients)
	}
	b.ReportMetric(heap, "MiB/5000-nodes")
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
