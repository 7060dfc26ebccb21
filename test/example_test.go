//go:build e2e

package test

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// TestCorefileExample serves the shipped Corefile.example against the test
// bed, as `make run` does, so a broken example fails CI.
func TestCorefileExample(t *testing.T) {
	s := startExample(t)
	ip := clusterIP(t, localCluster, testbed.Service)
	for _, net := range []string{"udp", "tcp"} {
		eventually(t, "the local answer over "+net, func() error {
			m, err := s.Exchange(net, nginx, dns.TypeA)
			if err != nil {
				return err
			}
			if got := reduce(m); !got.equal(want("NOERROR", nginx+" A "+ip)) {
				return fmt.Errorf("got %v", got)
			}
			return nil
		})
	}
	// The local cluster is also a member: its metrics carry the member's name.
	s.expectMetric(t, "coredns_federation_healthy_shards", map[string]string{"cluster": localCluster}, 1)
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": localCluster}, 1)
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 1)
}

// startExample serves Corefile.example against the test bed, as `make run`
// does.
func startExample(t *testing.T) *server {
	t.Helper()
	corefile, err := os.ReadFile("../Corefile.example")
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	for _, k := range []string{"FEDERATION_DNS_PORT", "FEDERATION_METRICS_PORT", "FEDERATION_READY_PORT"} {
		if ports[k], err = testbed.FreePort(); err != nil {
			t.Fatal(err)
		}
		t.Setenv(k, strconv.Itoa(ports[k]))
	}
	t.Setenv("FEDERATION_DEMO", bed.Dir)
	addr := "127.0.0.1:" + strconv.Itoa(ports["FEDERATION_DNS_PORT"])
	c, err := testbed.StartCoreDNS(coredns, t.TempDir(), addr, string(corefile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return &server{CoreDNS: c, metrics: "127.0.0.1:" + strconv.Itoa(ports["FEDERATION_METRICS_PORT"])}
}
