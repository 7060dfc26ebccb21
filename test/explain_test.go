//go:build e2e

package test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// observed is the path and level of an answer as a client sees it: the
// local addresses, an external name's CNAME, a CNAME to a zone, region or
// global level of example.com, SERVFAIL, or anything else (the next
// plugin's answer).
func observed(m *dns.Msg, qname string) (path, level string) {
	switch {
	case m.Rcode == dns.RcodeServerFailure && len(m.Answer) == 0:
		return "servfail", "none"
	case len(m.Answer) == 0 || !strings.EqualFold(m.Answer[0].Header().Name, qname):
		return "next", "none"
	}
	c, ok := m.Answer[0].(*dns.CNAME)
	switch {
	case !ok:
		return "local", "local"
	case !strings.HasSuffix(c.Target, ".example.com.") || !strings.Contains(c.Target, ".svc."):
		return "externalname", "local"
	}
	_, below, _ := strings.Cut(strings.TrimSuffix(c.Target, "example.com."), ".svc.")
	return "cname", [...]string{"global", "region", "zone"}[strings.Count(below, ".")]
}

// TestExplainTellsTheAnswerGiven asks the real server each kind of name,
// then _explain.<name>, and checks that explain reports the path and level
// of the answer actually given: a local answer, an ExternalName, CNAMEs to
// the zone, region and global levels, a name no shard has, and an endpoint
// name of a headless service, which goes to the next plugin (SPEC 1.3).
func TestExplainTellsTheAnswerGiven(t *testing.T) {
	east, central, asia := bed.Cluster("gce-us-east1"), bed.Cluster("gce-us-central1"), bed.Cluster("gce-asia-east1")
	shardOf(t, central, "zonal", "us-central1-b", "203.0.113.51", false)
	shardOf(t, central, "regional", "us-central1-c", "203.0.113.52", false)
	shardOf(t, asia, "faraway", "asia-east1-b", "203.0.113.53", false)
	extern := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "extern", Namespace: testbed.Namespace},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.net"},
	}
	if _, err := east.Client.CoreV1().Services(testbed.Namespace).Create(t.Context(), extern, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = east.DeleteService("extern") })
	// Namespace myfederation with a headless Service coll makes
	// x.coll.myfederation.svc.cluster.local an endpoint name.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "myfederation"}}
	if _, err := east.Client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = east.Client.CoreV1().Namespaces().Delete(context.Background(), "myfederation", metav1.DeleteOptions{})
	})
	coll := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "coll", Namespace: "myfederation"},
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "coll"}},
	}
	if _, err := east.Client.CoreV1().Services("myfederation").Create(t.Context(), coll, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The DNS of us-east1, placed in us-central1-b by the Corefile, so the
	// walk from there has a zone, a region and a global level to go to.
	block := make([]string, 0, 3+len(testbed.SeedFederation))
	block = append(block, "zone us-central1-b", "region us-central1", "explain")
	for _, s := range testbed.SeedFederation {
		block = append(block, memberLine(s.Cluster, bed.Cluster(s.Cluster).Kubeconfig))
	}
	s := startWith(t, serverConfig{kubeconfig: east.Kubeconfig, zones: "cluster.local example.com", block: block, kubernetes: true})

	name := func(svc string) string { return svc + ".mynamespace.myfederation.svc.cluster.local." }
	for _, tc := range []struct{ qname, path, level string }{
		{name("nginx"), "local", "local"},
		{name("extern"), "externalname", "local"},
		{name("zonal"), "cname", "zone"},
		{name("regional"), "cname", "region"},
		{name("faraway"), "cname", "global"},
		{name("ghost"), "cname", "global"},
		{"x.coll.myfederation.svc.cluster.local.", "next", "none"},
	} {
		eventually(t, "explain of "+tc.qname, func() error {
			m, err := s.Exchange("udp", tc.qname, dns.TypeA)
			if err != nil {
				return err
			}
			path, level := observed(m, tc.qname)
			if path != tc.path || level != tc.level {
				return fmt.Errorf("answered %s level %s (%v), the case is %s level %s", path, level, reduce(m), tc.path, tc.level)
			}
			e, err := s.Exchange("tcp", "_explain."+tc.qname, dns.TypeTXT) // longer than 512 bytes
			if err != nil {
				return err
			}
			var said string
			for _, rr := range e.Answer {
				if line := strings.Join(rr.(*dns.TXT).Txt, ""); strings.HasPrefix(line, "answer: ") {
					said = line
				}
			}
			if want := fmt.Sprintf("answer: %s level=%s", path, level); !strings.HasPrefix(said, want) {
				return fmt.Errorf("answered %s level %s, explain says %q", path, level, said)
			}
			return nil
		})
	}
}
