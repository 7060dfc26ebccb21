//go:build e2e

package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// memberServer runs bin/coredns as the local cluster's DNS and the
// federation zone's authority, with the given member lines and grace.
func memberServer(t *testing.T, grace string, members []string, more string) *server {
	t.Helper()
	return startWith(t, serverConfig{
		kubeconfig: bed.Cluster(localCluster).Kubeconfig, zones: "cluster.local example.com",
		block: append([]string{"ttl 5", "grace " + grace}, members...), kubernetes: true, more: more,
	})
}

// memberLine is the member line of a seed cluster reached with kubeconfig.
func memberLine(cluster, kubeconfig string) string {
	return fmt.Sprintf("member %s %s", cluster, kubeconfig)
}

// TestHostnameIngress: a LoadBalancer Service whose status holds only a
// hostname, as AWS publishes it, is answered at its levels with the
// addresses that hostname resolves to through the server (SPEC 4.2.1).
func TestHostnameIngress(t *testing.T) {
	east := bed.Cluster("gce-us-east1")
	if err := east.CreateService("awsweb", corev1.ServiceTypeLoadBalancer); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = east.DeleteService("awsweb") })
	if err := east.SetIngressHostname("awsweb", "lb-1.aws.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := east.SetEndpoints("awsweb", "us-east1-b", 1, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = east.SetEndpoints("awsweb", "us-east1-b", 0, true) })
	dir := t.TempDir()
	db := filepath.Join(dir, "db.aws.example.net")
	zone := "$ORIGIN aws.example.net.\n@ 30 IN SOA ns hostmaster 1 7200 1800 86400 30\n@ 30 IN NS ns\nns 30 IN A 127.0.0.1\nlb-1 30 IN A 198.51.100.7\n"
	if err := os.WriteFile(db, []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	s := memberServer(t, "30s", []string{memberLine("gce-us-east1", east.Kubeconfig)},
		"aws.example.net:53 {\n\tbind %[1]s\n\tfile "+db+"\n}\n")

	level := "awsweb.mynamespace.myfederation.svc.us-east1-b.us-east1.example.com."
	global := "awsweb.mynamespace.myfederation.svc.example.com."
	s.expectDig(t, level, "A", want("NOERROR", level+" A 198.51.100.7"))
	s.expectDig(t, global, "A", want("NOERROR", global+" A 198.51.100.7"))
	// The in-cluster name fails over to it: no shard in the local cluster.
	inCluster := "awsweb.mynamespace.myfederation.svc.cluster.local."
	s.expectDig(t, inCluster, "A", want("NOERROR", inCluster+" CNAME "+global, global+" A 198.51.100.7"))
}

// TestTXTAtEmptyLevelEndsNXDOMAIN: at a zone level without a shard, every
// question type follows the CNAMEs up to the end of the chain, here the
// global level's NXDOMAIN (SPEC 4.4).
func TestTXTAtEmptyLevelEndsNXDOMAIN(t *testing.T) {
	s := startFederationServer(t, "30s")
	zone := "ghost.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com."
	region := "ghost.mynamespace.myfederation.svc.us-central1.example.com."
	global := "ghost.mynamespace.myfederation.svc.example.com."
	for _, qtype := range []string{"TXT", "A", "MX"} {
		s.expectDig(t, zone, qtype, want("NXDOMAIN", zone+" CNAME "+region, region+" CNAME "+global).withSOA("example.com."))
	}
}

// TestMemberWithoutEndpointSliceRights: a member whose token may list
// Services and Nodes but not EndpointSlices (403) is failing, steadily, and
// the log names the resource (SPEC 4.5.1).
func TestMemberWithoutEndpointSliceRights(t *testing.T) {
	east := bed.Cluster("gce-us-east1")
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "federation-no-slices"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"services", "nodes"}, Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := east.Client.RbacV1().ClusterRoles().Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = east.Client.RbacV1().ClusterRoles().Delete(context.Background(), role.Name, metav1.DeleteOptions{})
	})
	kc := serviceAccountKubeconfig(t, east, "federation-no-slices", role.Name)
	s := memberServer(t, "30s", []string{memberLine("gce-us-east1", kc)}, "")

	synced := map[string]string{"cluster": "gce-us-east1"}
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 0)
	for range 10 { // steady, not flipping as Services answer
		if v, err := s.scrape("coredns_federation_cluster_synced", synced); err != nil || v != 0 {
			t.Fatalf("Expected cluster_synced to stay 0, got %v %v", v, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	log := s.Log()
	if !strings.Contains(log, "member gce-us-east1: API unreachable (endpointslices: ") {
		t.Errorf("Expected the log to name endpointslices, got:\n%s", log)
	}
	if n := strings.Count(log, "member gce-us-east1: API unreachable"); n != 1 {
		t.Errorf("Expected the failure logged once, got %d times:\n%s", n, log)
	}
}

// proxied puts a TCP proxy in front of cluster c's apiserver until the
// test ends, and returns it and an admin kubeconfig that goes through it.
func proxied(t *testing.T, c *testbed.Cluster) (*testbed.Proxy, string) {
	t.Helper()
	proxy, err := testbed.StartProxy(strings.TrimPrefix(c.Server(), "https://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfigVia(kc, "https://"+proxy.Addr, testbed.AdminToken); err != nil {
		t.Fatal(err)
	}
	return proxy, kc
}

// TestMemberBlackHole: a member behind a TCP proxy that freezes (no byte
// moves, every connection stays open) is counted as failed within 15s, and
// is back after the thaw (SPEC 4.5.1).
func TestMemberBlackHole(t *testing.T) {
	proxy, kc := proxied(t, bed.Cluster("gce-us-east1"))
	s := memberServer(t, "60s", []string{memberLine("gce-us-east1", kc)}, "")
	synced := map[string]string{"cluster": "gce-us-east1"}
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)

	proxy.Freeze()
	frozen := time.Now()
	eventuallyWithin(t, 20*time.Second, "cluster_synced 0 in a black hole", func() error {
		if v, err := s.scrape("coredns_federation_cluster_synced", synced); err != nil || v != 0 {
			return fmt.Errorf("cluster_synced %v %v", v, err)
		}
		return nil
	})
	took := time.Since(frozen)
	t.Logf("Black hole noticed after %.1fs", took.Seconds())
	if took > 15*time.Second {
		t.Errorf("Expected the black hole noticed within 15s, took %v", took)
	}
	// Within its grace the member's shard still counts.
	s.expectDig(t, "nginx.mynamespace.myfederation.svc.us-east1.example.com.", "A",
		want("NOERROR", "nginx.mynamespace.myfederation.svc.us-east1.example.com. A 203.0.113.40"))

	proxy.Thaw()
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)
}

// TestReloadDropsRemovedMemberSeries: a member removed by a reload takes
// its metric series with it; the others keep theirs (SPEC 7).
func TestReloadDropsRemovedMemberSeries(t *testing.T) {
	s := startFederationServer(t, "30s")
	asia := map[string]string{"cluster": "gce-asia-east1"}
	east := map[string]string{"cluster": "gce-us-east1"}
	s.expectMetric(t, "coredns_federation_cluster_synced", asia, 1)
	s.expectMetric(t, "coredns_federation_healthy_shards", asia, 1)
	conf, err := os.ReadFile(s.ConfPath())
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for line := range strings.SplitSeq(string(conf), "\n") {
		if !strings.Contains(line, "member gce-asia-east1 ") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(s.ConfPath(), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"coredns_federation_cluster_synced", "coredns_federation_healthy_shards"} {
		eventually(t, name+" of the removed member gone", func() error {
			if v, err := s.scrape(name, asia); err == nil {
				return fmt.Errorf("still there: %v", v)
			}
			return nil
		})
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", east, 1)
	s.expectMetric(t, "coredns_federation_healthy_shards", east, 1)
}

// TestNameServerOnWildcardAddress: a server listening on every address
// answers ns.dns.<domain> with real addresses, never `::` or 0.0.0.0
// (SPEC 4.4).
func TestNameServerOnWildcardAddress(t *testing.T) {
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	local := bed.Cluster(localCluster).Kubeconfig
	dir := t.TempDir()
	c, err := testbed.StartCoreDNS(coredns, dir, fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf(`.:%d {
	federation cluster.local example.com {
		myfederation example.com
		kubeconfig %[2]s
		node %[3]s
		member gce-us-central1 %[2]s
	}
}
`, port, local, testbed.Node))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	addresses := 0
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m, err := c.Exchange("udp", "ns.dns.example.com.", qtype)
		if err != nil {
			t.Fatal(err)
		}
		if m.Rcode != dns.RcodeSuccess || !m.Authoritative {
			t.Errorf("Expected an authoritative NOERROR, got %v", m)
		}
		addresses += len(m.Answer)
		for _, rr := range m.Answer {
			if s := strings.Fields(rr.String()); s[len(s)-1] == "::" || s[len(s)-1] == "0.0.0.0" {
				t.Errorf("Expected a real address of the name server, got %v", rr)
			}
		}
	}
	if addresses == 0 {
		t.Error("Expected the host's addresses for the name server, got none")
	}
}

// TestCorefileRefusals: each mistake of SPEC 6.2 added in this round stops
// CoreDNS at load with the plugin's name, the file and line, and the reason.
func TestCorefileRefusals(t *testing.T) {
	kc := bed.Cluster(localCluster).Kubeconfig
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	badCA := filepath.Join(t.TempDir(), "badca")
	if err := os.WriteFile(badCA, []byte(caData.ReplaceAllString(string(kubeconfig), "certificate-authority-data: bm90IGEgY2VydGlmaWNhdGU=")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		block string // the federation plugin's line and block
		line  int
		err   string
	}{
		{"federation cluster.local {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n\tttl 5\n\tttl 6\n}", 6, "property 'ttl' is given twice"},
		{"federation cluster.local {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n\tupstream 8.8.8.8\n}", 5, "unknown property 'upstream'"},
		{"federation {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n}", 2, "the root zone cannot be a cluster zone"},
		{"federation cluster.local {\n\tmyfederation fed.cluster.local\n\tkubeconfig " + kc + "\n}", 3, "lies in Kubernetes' cluster zone cluster.local."},
		// The cluster zone as the federation zone, members or not (SPEC 6.2).
		{"federation cluster.local {\n\tmyfederation cluster.local\n\tkubeconfig " + kc + "\n\tmember east " + kc + "\n}", 3, "lies in Kubernetes' cluster zone cluster.local."},
		{"federation cluster.local example.com {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n\tmember east " + badCA + "\n}", 5, "member east: kubeconfig " + badCA + ": unable to load root certificates"},
		{"federation cluster.local example.com {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n\tmember a local\n\tmember b local\n}", 6, "member b: the local cluster is member a already"},
		{"federation cluster.local example.com {\n\tmyfederation example.com\n\tkubeconfig " + kc + "\n\tmember east " + empty + "\n}", 5, "member east: kubeconfig " + empty},
	} {
		conf := filepath.Join(t.TempDir(), "Corefile")
		expectRefusal(t, conf, ".:0 {\n"+tc.block+"\n}\n", tc.line, tc.err)
	}
}

// caData finds a kubeconfig's certificate authority, inline or by file.
var caData = regexp.MustCompile(`certificate-authority(-data)?: \S+`)

// expectRefusal writes corefile to conf and runs bin/coredns on it: it must
// exit within 10s, naming the plugin, the file, the line and the reason.
func expectRefusal(t *testing.T, conf, corefile string, line int, reason string) {
	t.Helper()
	expectRefusalBy(t, coredns, conf, corefile, line, reason)
}

// expectRefusalBy is expectRefusal for the CoreDNS binary at path.
func expectRefusalBy(t *testing.T, path, conf, corefile string, line int, reason string) {
	t.Helper()
	if err := os.WriteFile(conf, []byte(corefile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "-conf", conf)
	cmd.Dir = filepath.Dir(conf)
	done := make(chan error, 1)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		prefix := fmt.Sprintf("plugin/federation: %s:%d - Error during parsing: ", conf, line)
		if err == nil || !strings.Contains(out.String(), prefix) || !strings.Contains(out.String(), reason) {
			t.Errorf("Expected a failure with %q and %q, got %v:\n%s", prefix, reason, err, out.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("Expected CoreDNS to refuse\n%s\nat once; it kept running", corefile)
	}
}
