package federation

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// shardsAcross returns n healthy shards spread over 50 regions of 3 zones.
func shardsAcross(n int) []PublishedShard {
	shards := make([]PublishedShard, n)
	for i := range shards {
		region := fmt.Sprintf("r%d", i%50)
		shards[i] = PublishedShard{
			Cluster: fmt.Sprintf("c%d", i),
			Region:  region,
			Zones:   []string{fmt.Sprintf("%s-z%d", region, i%3)},
			Ingress: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})},
		}
	}
	return shards
}

// BenchmarkHierarchy answers the zone level of a zone without shards (the
// walk up to the region) and the global level, over n shards.
func BenchmarkHierarchy(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		shards := shardsAcross(n)
		b.Run(fmt.Sprintf("route/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if l, _, _ := Route(shards, "r7-z9", "r7", nil, LevelNone); l != LevelRegion {
					b.Fatal("expected the region level")
				}
			}
		})
		b.Run(fmt.Sprintf("addresses-region/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Addresses(shards, LevelRegion, "", "r7")
			}
		})
		b.Run(fmt.Sprintf("addresses-global/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Addresses(shards, LevelGlobal, "", "")
			}
		})
	}
}

// BenchmarkShardMemoMiss computes a shard from the caches, as the first
// question after any change of the cluster's objects does: every iteration
// starts a new generation of the memo.
func BenchmarkShardMemoMiss(b *testing.B) {
	c := startCluster(b, fake.NewClientset(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1"}}},
		zonedSlice("web", zonedEndpoint("10.1.0.1", true, "", "z1"), zonedEndpoint("10.1.0.2", true, "", "z1")),
	), "")
	if s := c.Shard("ns", "web"); !s.Healthy || s.Kind != ClusterIP {
		b.Fatalf("Expected a healthy ClusterIP shard, got %+v", s)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.views.invalidate()
		if !c.Shard("ns", "web").Healthy {
			b.Fatal("expected healthy")
		}
	}
}
