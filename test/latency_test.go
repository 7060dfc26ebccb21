//go:build e2e

package test

import (
	"slices"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// TestFailoverLatency measures, over 100 flips of the local shard between
// ready and scaled to zero, the time from the EndpointSlice write at the API
// to the first DNS answer that reflects it. It reports p50 and p99; it
// asserts only that every flip shows.
func TestFailoverLatency(t *testing.T) {
	const flips = 100
	s := startFederationServer(t, "30s")
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service)))

	isCNAME := func() bool {
		m, err := s.Exchange("udp", nginx, dns.TypeA)
		if err != nil || len(m.Answer) == 0 {
			return false
		}
		_, ok := m.Answer[0].(*dns.CNAME)
		return ok
	}
	var took []time.Duration
	for i := range flips {
		down := i%2 == 0
		n := 2
		if down {
			n = 0
		}
		start := time.Now()
		if err := local.SetEndpoints(testbed.Service, localZone, n, true); err != nil {
			t.Fatal(err)
		}
		deadline := start.Add(10 * time.Second)
		for isCNAME() != down {
			if time.Now().After(deadline) {
				t.Fatalf("Flip %d not seen after 10s", i)
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("failover latency over %d flips (API write to first changed answer): p50 %v, p99 %v, max %v",
		flips, took[len(took)/2].Round(time.Microsecond), took[len(took)*99/100].Round(time.Microsecond), took[len(took)-1].Round(time.Microsecond))
}
