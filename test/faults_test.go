//go:build e2e

package test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// TestStartedBeforeAPI starts CoreDNS while its cluster's apiserver is down:
// federated names get SERVFAIL, never an answer from an empty cache, and
// are answered once the apiserver is up and the caches sync.
func TestStartedBeforeAPI(t *testing.T) {
	cluster := bed.Cluster("gce-us-east1")
	cluster.Stop()
	t.Cleanup(func() {
		if err := cluster.Start(); err != nil {
			t.Error(err)
		}
	})
	s := startServer(t, cluster.Kubeconfig)
	name := "nginx.mynamespace.myfederation.svc.cluster.local."
	for _, net := range []string{"udp", "tcp"} {
		got, err := s.dig(net, name, "A")
		if err != nil {
			t.Fatal(err)
		}
		if !got.equal(want("SERVFAIL")) {
			t.Fatalf("Expected SERVFAIL before the API is reachable, got %v", got)
		}
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 0)

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	ip, err := cluster.ClusterIP(testbed.Service)
	if err != nil {
		t.Fatal(err)
	}
	// The reflector retries with backoff: allow it time to come back.
	s.expectDig(t, name, "A", want("NOERROR", name+" A "+ip))
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 1)
}

// TestAPIServerKilledUnderLoad kills the local apiserver while a bounded
// client asks steadily: every answer stays right (the last known state), no
// error, no crash; after a restart a change at the API shows again.
func TestAPIServerKilledUnderLoad(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	right := want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service))
	s.expectDig(t, nginx, "A", right)

	var answers, wrong, failed atomic.Int64
	var firstWrong atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 3000; i++ { // at most a minute
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			m, err := s.Exchange("udp", nginx, dns.TypeA)
			if err != nil {
				failed.Add(1)
				continue
			}
			answers.Add(1)
			if got := reduce(m); !got.equal(right) {
				wrong.Add(1)
				firstWrong.CompareAndSwap(nil, got.String())
			}
		}
	})

	time.Sleep(500 * time.Millisecond)
	local.Kill()
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 0)
	time.Sleep(2 * time.Second)
	if err := local.Start(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 1)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	t.Logf("%d answers, %d wrong, %d without answer", answers.Load(), wrong.Load(), failed.Load())
	if wrong.Load() != 0 || failed.Load() != 0 {
		t.Errorf("Expected every answer right, got %d wrong (first: %v), %d failed", wrong.Load(), firstWrong.Load(), failed.Load())
	}
	if answers.Load() < 50 {
		t.Errorf("Expected a steady load, got only %d answers", answers.Load())
	}
	if !s.Running() {
		t.Fatal("CoreDNS exited")
	}
	// Recovered: a change at the API is seen again.
	if err := local.SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
}
