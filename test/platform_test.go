//go:build e2e

package test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// readyCheck returns a check of CoreDNS's /ready at addr.
func readyCheck(addr string) func() error {
	client := &http.Client{Timeout: time.Second}
	return func() error {
		resp, err := client.Get("http://" + addr + "/ready")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		return nil
	}
}

// refusingKubeconfig writes a kubeconfig of cluster c whose server is a
// loopback port where nothing listens: every connection is refused.
func refusingKubeconfig(t *testing.T, c *testbed.Cluster) string {
	t.Helper()
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfigVia(kc, fmt.Sprintf("https://127.0.0.1:%d", port), testbed.AdminToken); err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestReadyThroughReloadsWithMemberDown: CoreDNS started with one member
// refusing connections, and reloaded twice by its reload plugin while the
// member stays down, answers /ready 200 from its start to the end: ready
// is the local caches alone (SPEC 8). Level names get SERVFAIL within the
// grace, and after it the zone answers from the live member (SPEC 4.5.2).
func TestReadyThroughReloadsWithMemberDown(t *testing.T) {
	const grace = 12 * time.Second
	host := newHost()
	local := bed.Cluster(localCluster).Kubeconfig
	gone := refusingKubeconfig(t, bed.Cluster("gce-us-east1"))
	corefile := func(ttl int) string {
		return fmt.Sprintf(`.:53 {
	bind %[1]s
	ready %[1]s:8181
	reload 2s 1s
	federation cluster.local example.com {
		myfederation example.com
		kubeconfig %[2]s
		node %[3]s
		grace %[4]s
		ttl %[6]d
		member gone %[5]s
		member gce-us-central1 local
	}
	whoami
}
`, host, local, testbed.Node, grace, gone, ttl)
	}
	start := time.Now()
	s := runServer(t, t.TempDir(), host, corefile(5))
	ready := readyCheck(host + ":8181")
	eventuallyWithin(t, 5*time.Second, "ready after the start", ready)
	t.Logf("Ready %.1fs after the start, with a member down", time.Since(start).Seconds())

	// /ready is asked every 100ms until the end of the test: never anything
	// but 200.
	stop := make(chan struct{})
	failures := make(chan error, 1)
	go func() {
		defer close(failures)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			err := ready()
			if err != nil && (strings.Contains(err.Error(), "Shutting down") || strings.Contains(err.Error(), "connection refused")) {
				// CoreDNS's ready itself, between the old instance's
				// listener and the new one's during a reload: no
				// plugin's readiness. A 503 names the plugins not ready.
				continue
			}
			if err != nil {
				failures <- fmt.Errorf("%v at %.1fs", err, time.Since(start).Seconds())
				return
			}
		}
	}()
	// The plugin's SERVFAIL: whoami, after it, would answer NOERROR.
	if got, err := s.dig("udp", zoneLevel, "A"); err != nil || !got.equal(want("SERVFAIL")) {
		t.Errorf("Expected SERVFAIL for a level name within the grace, got %v %v", got, err)
	}
	ip := clusterIP(t, localCluster, testbed.Service)
	for _, ttl := range []int{7, 9} {
		if err := os.WriteFile(s.ConfPath(), []byte(corefile(ttl)), 0o644); err != nil {
			t.Fatal(err)
		}
		eventuallyWithin(t, 15*time.Second, fmt.Sprintf("the reload to ttl %d", ttl), func() error {
			m, err := s.Exchange("udp", nginx, dns.TypeA)
			if err != nil || len(m.Answer) != 1 || m.Answer[0].Header().Ttl != uint32(ttl) || m.Answer[0].(*dns.A).A.String() != ip {
				return fmt.Errorf("got %v %v", m, err)
			}
			return nil
		})
	}
	// The reloads restarted the grace; once it has passed, the dead member
	// counts as having no shard: the zone level answers from the live one.
	eventuallyWithin(t, grace+10*time.Second, "the zone level after the grace", func() error {
		got, err := s.dig("udp", zoneLevel, "A")
		if err != nil || !got.equal(want("NOERROR", ingresses(zoneLevel, localCluster)...)) {
			return fmt.Errorf("got %v %v", got, err)
		}
		return nil
	})
	close(stop)
	if err := <-failures; err != nil {
		t.Errorf("Expected /ready 200 throughout, got %v", err)
	}
}

// olderCluster starts a member cluster on kube-apiserver 1.33, whose
// WatchList feature gate is off, seeded with a nginx shard; the test bed's
// newest apiserver is 1.37.
func olderCluster(t *testing.T, extraArgs ...string) *testbed.Cluster {
	t.Helper()
	dir := os.Getenv("FEDERATION_TESTBED_OLD")
	if dir == "" {
		t.Fatal("FEDERATION_TESTBED_OLD must name the directory of kube-apiserver 1.33: run `make e2e`")
	}
	c, err := bed.AddCluster("gke-old", dir, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	if err := c.Seed(testbed.Shard{Cluster: "gke-old", Region: "us-west1", Zone: "us-west1-a", Ingress: "203.0.113.50"}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOlderMemberWithoutWatchList: a member on kube-apiserver 1.33 answers
// client-go's streaming list with 422; client-go lists the classic way
// instead, and that fallback is no failed contact (SPEC 4.5.3):
// cluster_synced is 1 and nothing is logged as unreachable, at the start,
// across a reload, and across a relist forced by an expired watch. The
// apiserver's audit log shows that each of them went through the 422.
func TestOlderMemberWithoutWatchList(t *testing.T) {
	// Without its watch cache the apiserver sends every watch to etcd, so
	// an etcd compaction expires the plugin's resource versions: a relist.
	old := olderCluster(t, "--watch-cache=false")
	proxy, kc := proxied(t, old)
	s := memberServer(t, "30s", []string{memberLine("gke-old", kc)}, "")
	synced := map[string]string{"cluster": "gke-old"}
	level := "nginx.mynamespace.myfederation.svc.us-west1.example.com."
	published := want("NOERROR", level+" A 203.0.113.50")
	// steady checks that cluster_synced stays 1 for a while, sampled.
	steady := func(phase string) {
		t.Helper()
		s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)
		s.expectDig(t, level, "A", published)
		for range 20 {
			if v, err := s.scrape("coredns_federation_cluster_synced", synced); err != nil || v != 1 {
				t.Fatalf("%s: expected cluster_synced to stay 1, got %v %v", phase, v, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// fellBack checks that since then, the apiserver refused a streaming
	// list with 422 and served a classic list of each resource.
	fellBack := func(phase string, since time.Time) {
		t.Helper()
		eventually(t, phase+": the fallback in the audit log", func() error {
			events, err := old.Audit("coredns/federation")
			if err != nil {
				return err
			}
			refused, listed := map[string]bool{}, map[string]bool{}
			for _, e := range events {
				if e.StageTimestamp.Before(since) {
					continue
				}
				switch {
				case strings.Contains(e.RequestURI, "sendInitialEvents=true") && e.ResponseStatus.Code == http.StatusUnprocessableEntity:
					refused[e.ObjectRef.Resource] = true
				case e.Verb == "list" && e.ResponseStatus.Code == http.StatusOK:
					listed[e.ObjectRef.Resource] = true
				}
			}
			for _, r := range []string{"services", "endpointslices", "nodes"} {
				if !refused[r] || !listed[r] {
					return fmt.Errorf("%s: streaming list refused %v, listed %v", r, refused, listed)
				}
			}
			return nil
		})
	}
	started := time.Now().Add(-time.Minute)
	steady("start")
	fellBack("start", started)

	reloaded := time.Now()
	conf, err := os.ReadFile(s.ConfPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.ConfPath(), []byte(strings.Replace(string(conf), "ttl 5", "ttl 6", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	fellBack("reload", reloaded)
	steady("reload")

	// Writes move etcd's revision past what the plugin has seen, the
	// compaction expires it, and cutting the connections makes every watch
	// resume from it: 410, then a relist.
	for i := range 3 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("relist-%d", i), Namespace: testbed.Namespace}}
		if _, err := old.Client.CoreV1().ConfigMaps(testbed.Namespace).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := bed.CompactEtcd(); err != nil {
		t.Fatal(err)
	}
	relisted := time.Now()
	proxy.Reset()
	fellBack("relist", relisted)
	steady("relist")
	if log := s.Log(); strings.Contains(log, "unreachable") || strings.Contains(log, "failing") {
		t.Errorf("Expected no failed contact logged, got:\n%s", log)
	}
}

// TestMemberBackAfterLongOutage: a member whose apiserver is down for three
// minutes, long enough for client-go's backoff to reach its ceiling, counts
// again within 5s of its API answering (SPEC 4.5.3).
func TestMemberBackAfterLongOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-minute outage")
	}
	east := bed.Cluster("gce-us-east1")
	s := memberServer(t, "10m", []string{memberLine("gce-us-east1", east.Kubeconfig)}, "")
	synced := map[string]string{"cluster": "gce-us-east1"}
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)
	east.Kill()
	t.Cleanup(func() { _ = east.Start() })
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 0)
	time.Sleep(3 * time.Minute)
	answering := make(chan time.Time, 1)
	go func() { answering <- firstAnswer(east.Server() + "/version") }()
	if err := east.Start(); err != nil { // returns once /readyz answers
		t.Fatal(err)
	}
	back := <-answering
	eventuallyWithin(t, 30*time.Second, "cluster_synced 1", func() error {
		if v, err := s.scrape("coredns_federation_cluster_synced", synced); err != nil || v != 1 {
			return fmt.Errorf("cluster_synced %v %v", v, err)
		}
		return nil
	})
	took := time.Since(back)
	t.Logf("Member counted again %.2fs after its API answered, after a 3-minute outage", took.Seconds())
	if took > 5*time.Second {
		t.Errorf("Expected the member back within 5s of its API answering, took %v", took)
	}
	// And its data is current: a change made now shows.
	if err := east.SetEndpoints(testbed.Service, "us-east1-b", 0, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = east.SetEndpoints(testbed.Service, "us-east1-b", 2, true) })
	level := "nginx.mynamespace.myfederation.svc.us-east1-b.us-east1.example.com."
	s.expectDig(t, level, "CNAME", want("NOERROR", level+" CNAME nginx.mynamespace.myfederation.svc.us-east1.example.com."))
}

// firstAnswer asks url every 20ms for up to a minute and returns when it
// first got an HTTP answer: when an apiserver starting up answers.
func firstAnswer(url string) time.Time {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			return time.Now()
		}
	}
	return time.Now()
}

// TestExportsKeptAcrossRevokedRole: with `services exported`, a member
// whose role stops allowing ServiceExports after they were listed keeps its
// last known exports, as a failed contact within its grace (SPEC 4.5.1,
// 9), instead of exporting nothing at once; a role given back ends it.
func TestExportsKeptAcrossRevokedRole(t *testing.T) {
	east := bed.Cluster("gce-us-east1")
	exports := serviceExports(t, east)
	shardOf(t, east, "kept", "us-east1-b", "203.0.113.72", false)
	export := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport",
		"metadata": map[string]any{"name": "kept", "namespace": testbed.Namespace},
	}}
	eventually(t, "the ServiceExport created", func() error {
		_, err := exports.Create(t.Context(), export, metav1.CreateOptions{})
		return err
	})
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"services", "nodes"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
	}
	exportRule := rbacv1.PolicyRule{APIGroups: []string{"multicluster.x-k8s.io"}, Resources: []string{"serviceexports"}, Verbs: []string{"list", "watch"}}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "federation-exports-revoked"}, Rules: append(rules, exportRule)}
	roles := east.Client.RbacV1().ClusterRoles()
	if _, err := roles.Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = roles.Delete(context.Background(), role.Name, metav1.DeleteOptions{}) })
	kc := serviceAccountKubeconfig(t, east, "federation-exports-revoked", role.Name)
	s := memberServer(t, "10m", []string{"services exported", memberLine("gce-us-east1", kc)}, "")
	level := "kept.mynamespace.myfederation.svc.us-east1.example.com."
	published := want("NOERROR", level+" A 203.0.113.72")
	synced := map[string]string{"cluster": "gce-us-east1"}
	s.expectDig(t, level, "A", published)
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)

	// Revoke, then make the plugin read again: writes it does not watch
	// move the revision on, and a restarted apiserver sends its watches
	// back to a list, which now gets 403.
	role.Rules = rules
	if _, err := roles.Update(t.Context(), role, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("revoked-%d", i), Namespace: testbed.Namespace}}
		if _, err := east.Client.CoreV1().ConfigMaps(testbed.Namespace).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = east.Client.CoreV1().ConfigMaps(testbed.Namespace).Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
		})
	}
	east.Kill()
	restarted := time.Now()
	if err := east.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a list of ServiceExports refused", func() error {
		events, err := east.Audit("coredns/federation")
		if err != nil {
			return err
		}
		for _, e := range events {
			if !e.StageTimestamp.Before(restarted) && e.ObjectRef.Resource == "serviceexports" && e.Verb == "list" && e.ResponseStatus.Code == http.StatusForbidden {
				return nil
			}
		}
		return fmt.Errorf("no list of serviceexports refused since the restart")
	})
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 0)
	for range 10 { // the exports known before the 403 still count
		s.expectDig(t, level, "A", published)
		time.Sleep(300 * time.Millisecond)
	}

	role.Rules = append(rules, exportRule)
	if _, err := roles.Update(t.Context(), role, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.expectMetric(t, "coredns_federation_cluster_synced", synced, 1)
	s.expectDig(t, level, "A", published)
}
