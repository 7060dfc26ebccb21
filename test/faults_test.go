//go:build e2e

package test

import (
	"errors"
	"fmt"
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
	// whoami, not kubernetes, follows the plugin: a SERVFAIL is the plugin's.
	s := startWith(t, serverConfig{kubeconfig: cluster.Kubeconfig, zones: "cluster.local", block: []string{"ttl 5"}, next: "whoami"})
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
	// The reflectors retry with a backoff that grows to 30s (with jitter):
	// allow them time to come back.
	eventuallyWithin(t, 2*time.Minute, "the answer once the API is up", func() error {
		got, err := s.dig("udp", name, "A")
		if err != nil {
			return err
		}
		if w := want("NOERROR", name+" A "+ip); !got.equal(w) {
			return fmt.Errorf("got %v, want %v", got, w)
		}
		return nil
	})
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
	before := s.goroutines(t)
	finish := load(t, s, nginx, dns.TypeA, func(m *dns.Msg) bool { return reduce(m).equal(right) })

	time.Sleep(500 * time.Millisecond)
	local.Kill()
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 0)
	time.Sleep(2 * time.Second)
	if err := local.Start(); err != nil {
		t.Fatal(err)
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 1)
	time.Sleep(500 * time.Millisecond)
	finish(50)
	if !s.Running() {
		t.Fatal("CoreDNS exited")
	}
	// Recovered: a change at the API is seen again.
	if err := local.SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
	s.expectGoroutinesBack(t, before)
}

// TestEtcdKilledUnderLoad kills the etcd behind every apiserver while a
// bounded client asks steadily: answers stay right from the caches, and
// after etcd is back a change at the API shows again. No goroutine is left
// behind by the broken and renewed watches.
func TestEtcdKilledUnderLoad(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	right := want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service))
	s.expectDig(t, nginx, "A", right)
	before := s.goroutines(t)
	finish := load(t, s, nginx, dns.TypeA, func(m *dns.Msg) bool { return reduce(m).equal(right) })

	time.Sleep(500 * time.Millisecond)
	bed.KillEtcd()
	// The kill took effect: a write through the API fails while etcd is down.
	eventuallyWithin(t, 30*time.Second, "a write failing without etcd", func() error {
		if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 2, true); err == nil {
			return errors.New("the write went through")
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	if err := bed.RestartEtcd(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	finish(50)

	if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
	s.expectGoroutinesBack(t, before)
}

// goroutines is the server's go_goroutines.
func (s *server) goroutines(t *testing.T) float64 {
	t.Helper()
	v, err := s.scrape("go_goroutines", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// expectGoroutinesBack waits for the server's goroutines to come back to
// about before: the watches a fault broke or a reload replaced are gone (a
// margin for the server's own connections).
func (s *server) expectGoroutinesBack(t *testing.T, before float64) {
	t.Helper()
	eventually(t, "goroutines back to their level", func() error {
		after, err := s.scrape("go_goroutines", nil)
		if err != nil {
			return err
		}
		if after > before+10 {
			return fmt.Errorf("%v goroutines before, %v after", before, after)
		}
		return nil
	})
}

// load asks name every 20ms until the returned finish is called, for at
// most ten minutes. finish stops it, logs the counts and fails the test
// unless every answer was right by right, every question was answered, and
// at least min answers came. The first wrong answer is logged.
func load(t *testing.T, s *server, name string, qtype uint16, right func(*dns.Msg) bool) (finish func(min int64)) {
	t.Helper()
	var answers, wrong, failed atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range 30000 {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			m, err := s.Exchange("udp", name, qtype)
			if err != nil {
				failed.Add(1)
				continue
			}
			answers.Add(1)
			if !right(m) && wrong.Add(1) == 1 {
				t.Logf("First wrong answer: %v", reduce(m))
			}
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); wg.Wait() }) }
	t.Cleanup(stop)
	return func(min int64) {
		t.Helper()
		stop()
		a, w, f := answers.Load(), wrong.Load(), failed.Load()
		t.Logf("%d answers, %d wrong, %d without answer", a, w, f)
		if w != 0 || f != 0 || a < min {
			t.Errorf("Expected at least %d answers, all right, got %d answers, %d wrong, %d without answer", min, a, w, f)
		}
	}
}
