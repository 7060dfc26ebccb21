//go:build e2e

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// shippedCorefile is the Corefile of deploy/coredns.yaml's ConfigMap.
func shippedCorefile(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "deploy", "coredns.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			t.Fatalf("no ConfigMap coredns in deploy/coredns.yaml: %v", err)
		}
		if obj.GetKind() == "ConfigMap" && obj.GetName() == "coredns" {
			corefile, _, _ := unstructured.NestedString(obj.Object, "data", "Corefile")
			return corefile
		}
	}
}

// onTestBed is the shipped Corefile as CoreDNS would run it in cluster
// gce-us-central1 of the test bed: only what a pod has and the test bed
// does not is replaced. It listens on host, reads the local cluster
// through a kubeconfig instead of the in-cluster config and the members'
// kubeconfigs from the bed, and forwards to a loopback port where nothing
// answers, not to the machine's resolvers.
func onTestBed(t *testing.T, corefile, host string) string {
	t.Helper()
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	local := bed.Cluster(localCluster).Kubeconfig
	replace := make([][2]string, 0, 7+len(testbed.SeedFederation))
	replace = append(replace, [][2]string{
		{".:53 {", ".:53 {\n        bind " + host},
		{"health {", "health " + host + ":8080 {"},
		{"ready\n", "ready " + host + ":8181\n"},
		{"prometheus :9153", "prometheus " + host + ":9153"},
		{"federation cluster.local example.com {", "federation cluster.local example.com {\n            kubeconfig " + local},
		{"kubernetes cluster.local in-addr.arpa ip6.arpa {", "kubernetes cluster.local in-addr.arpa ip6.arpa {\n            kubeconfig " + local},
		{"forward . /etc/resolv.conf", fmt.Sprintf("forward . 127.0.0.1:%d", port)},
	}...)
	for _, s := range testbed.SeedFederation {
		replace = append(replace, [2]string{"/etc/federation/" + s.Cluster + ".kubeconfig", bed.Cluster(s.Cluster).Kubeconfig})
	}
	for _, r := range replace {
		if !strings.Contains(corefile, r[0]) {
			if strings.Contains(r[0], "/etc/federation/") {
				continue // the local cluster is a member as itself
			}
			t.Fatalf("deploy/coredns.yaml's Corefile has no %q to run it on the test bed:\n%s", r[0], corefile)
		}
		corefile = strings.Replace(corefile, r[0], r[1], 1)
	}
	return corefile
}

// TestShippedCorefileServesTheExampleZone: the Corefile that
// deploy/coredns.yaml ships for cluster gce-us-central1 serves the same
// federation zone as Corefile.example, level by level: every member's
// shard, its own included (SPEC 4.5.3), is in it.
func TestShippedCorefileServesTheExampleZone(t *testing.T) {
	t.Setenv("NODE_NAME", testbed.Node) // the Deployment's downward API
	host := newHost()
	shipped := runServer(t, t.TempDir(), host, onTestBed(t, shippedCorefile(t), host))
	example := startExample(t)
	names := make([]string, 0, 2*len(testbed.SeedFederation)+4)
	for _, s := range testbed.SeedFederation {
		names = append(names,
			fmt.Sprintf("nginx.mynamespace.myfederation.svc.%s.%s.example.com.", s.Zone, s.Region),
			fmt.Sprintf("nginx.mynamespace.myfederation.svc.%s.example.com.", s.Region))
	}
	names = append(names, "nginx.mynamespace.myfederation.svc.example.com.",
		"nginx.mynamespace.myfederation.svc.us-central1-c.us-central1.example.com.",
		"nginx.mynamespace.myfederation.svc.nowhere1.example.com.",
		"ghost.mynamespace.myfederation.svc.example.com.")
	for _, s := range []*server{shipped, example} {
		s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": localCluster}, 1)
	}
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			eventually(t, name+" answered alike", func() error {
				a, err := shipped.Exchange("udp", name, qtype)
				if err != nil {
					return err
				}
				b, err := example.Exchange("udp", name, qtype)
				if err != nil {
					return err
				}
				if got, want := reduce(a), reduce(b); !got.equal(want) {
					return fmt.Errorf("deploy/coredns.yaml answers %v, Corefile.example %v", got, want)
				}
				return nil
			})
		}
	}
	// Not alike by accident: the local shard is in the zone.
	local := "nginx.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com."
	shipped.expectDig(t, local, "A", want("NOERROR", local+" A 203.0.113.30"))
}
