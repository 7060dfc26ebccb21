//go:build e2e

package test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// nodeLocalCache runs a CoreDNS as NodeLocal DNSCache runs it in front of
// the cluster's DNS at upstream: cache with its default success 9984 30,
// and forward.
func nodeLocalCache(t *testing.T, upstream string) *server {
	t.Helper()
	host := newHost()
	return runServer(t, t.TempDir(), host, fmt.Sprintf(".:53 {\n\tbind %s\n\tcache {\n\t\tsuccess 9984 30\n\t\tdenial 9984 5\n\t}\n\tforward . %s:53\n}\n", host, upstream))
}

// TestFailoverThroughNodeLocalCache: the shipped Corefile (deploy/
// coredns.yaml, its cache 30 included) serves the cluster; a
// NodeLocal-DNSCache-like CoreDNS sits in front of it. 50 times the local
// shard flips, and each flip is timed from just before its EndpointSlice
// write until a client asking the node-local cache gets the new answer:
// with the default TTL (5 s), p99 is at most TTL + 1 s (SPEC 11).
func TestFailoverThroughNodeLocalCache(t *testing.T) {
	t.Setenv("NODE_NAME", testbed.Node)
	host := newHost()
	runServer(t, t.TempDir(), host, onTestBed(t, shippedCorefile(t), host))
	node := nodeLocalCache(t, host)
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	global := "nginx.mynamespace.myfederation.svc.example.com."
	healthy := want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service))
	down := want("NOERROR", append([]string{nginx + " CNAME " + global}, ingresses(global, "gce-asia-east1", "gce-europe-west1", "gce-us-east1")...)...)
	slices.Sort(down.records)
	ask := func() (answer, error) {
		m, err := node.Exchange("udp", nginx, dns.TypeA)
		if err != nil {
			return answer{}, err
		}
		a := reduce(m)
		a.aa = true            // the cache's copy is not authoritative; the records are what counts
		slices.Sort(a.records) // loadbalance, in the shipped Corefile, shuffles them
		return a, nil
	}
	eventually(t, "the healthy answer through the node-local cache", func() error {
		if got, err := ask(); err != nil || !got.equal(healthy) {
			return fmt.Errorf("got %v %v", got, err)
		}
		return nil
	})
	const flips = 50
	took := make([]time.Duration, 0, flips)
	for i := range flips {
		n, next := 0, down
		if i%2 == 1 {
			n, next = 2, healthy
		}
		start := time.Now()
		if err := local.SetEndpoints(testbed.Service, localZone, n, true); err != nil {
			t.Fatal(err)
		}
		for {
			got, err := ask()
			if err == nil && got.equal(next) {
				break
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("flip %d: no new answer within 20s, got %v %v", i, got, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	p50, p99 := took[flips/2], took[flips*99/100]
	t.Logf("Failover through NodeLocal DNSCache over %d flips: p50 %.2fs, p99 %.2fs, max %.2fs", flips, p50.Seconds(), p99.Seconds(), took[flips-1].Seconds())
	if limit := 5*time.Second + time.Second; p99 > limit {
		t.Errorf("Expected p99 at most TTL + 1s = %v, got %v", limit, p99)
	}
}
