//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWatchGoneRelists opens a gap in the plugin's watches and changes the
// cluster inside it: the local apiserver stops gracefully, the local shard
// is scaled to zero through a second apiserver on the same etcd data, and
// etcd is compacted past the revision the watches will resume from. When
// the apiserver is back, the informers relist (the audit log shows it) and
// the change shows, under a steady query load that never gets anything but
// the old or the new right answer.
func TestWatchGoneRelists(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	healthy := want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service))
	s.expectDig(t, nginx, "A", healthy)
	before := s.goroutines(t)
	second, err := bed.SecondAPIServer(local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Stop)
	finish := load(t, s, nginx, dns.TypeA, func(m *dns.Msg) bool {
		got := reduce(m)
		return got.equal(healthy) || got.equal(failover)
	})

	local.Stop()
	t.Cleanup(func() { _ = local.Start() })
	if err := second.SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // writes the plugin does not watch move the revision on
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gone-%d", i), Namespace: testbed.Namespace}}
		if _, err := second.Client.CoreV1().ConfigMaps(testbed.Namespace).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := bed.CompactEtcd(); err != nil {
		t.Fatal(err)
	}
	// The plugin still answers from what it knew.
	s.expectDig(t, nginx, "A", healthy)

	restarted := time.Now()
	if err := local.Start(); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
	// The gap was real and closed by a relist: after the restart the
	// apiserver served each of the plugin's three resources a new list.
	// client-go lists by streaming (a watch with sendInitialEvents), and a
	// resumed stream asks for the newest data rather than the old resource
	// version, so against this apiserver the gap ends in a relist without a
	// 410; the 410 rule itself is a unit test (TestContactExpiredIsNoOutage).
	eventually(t, "a relist of each resource", func() error {
		events, err := local.Audit("coredns/federation")
		if err != nil {
			return err
		}
		relisted := map[string]bool{}
		for _, e := range events {
			if !e.StageTimestamp.Before(restarted) && e.ResponseStatus.Code == http.StatusOK &&
				(e.Verb == "list" || strings.Contains(e.RequestURI, "sendInitialEvents=true")) {
				relisted[e.ObjectRef.Resource] = true
			}
		}
		for _, r := range []string{"services", "endpointslices", "nodes"} {
			if !relisted[r] {
				return fmt.Errorf("%s not relisted after the restart; relists of %v", r, relisted)
			}
		}
		return nil
	})
	finish(50)
	s.expectGoroutinesBack(t, before)
}
