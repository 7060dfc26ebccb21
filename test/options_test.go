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
)

// TestCorefileOptionsReachPlugin: explain, zone, region and fallthrough
// ZONES, written in a Corefile, change what the real server answers.
func TestCorefileOptionsReachPlugin(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.example.com")
	// A name that cannot be a level name or an ancestor of one: the
	// federation zone answers it NXDOMAIN.
	www := "www.nginx.mynamespace.myfederation.svc.example.com."
	zone := "$ORIGIN example.com.\n@ 30 IN SOA ns hostmaster 1 7200 1800 86400 30\n@ 30 IN NS ns\n" + www + " 30 IN A 192.0.2.80\n"
	if err := os.WriteFile(db, []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	host := newHost()
	local := bed.Cluster(localCluster).Kubeconfig
	corefile := func(fallthroughZones string) string {
		return fmt.Sprintf(`.:53 {
	bind %[1]s
	federation cluster.local example.com {
		myfederation example.com
		kubeconfig %[2]s
		node %[3]s
		zone us-west9-a
		region us-west9
		explain
		%[5]s
		member gce-us-east1 %[4]s
	}
	file %[6]s example.com
}
`, host, local, testbed.Node, bed.Cluster("gce-us-east1").Kubeconfig, fallthroughZones, db)
	}
	s := runServer(t, dir, host, corefile("fallthrough example.com"))

	// zone and region: the local place the walk starts from.
	explained := func() (string, error) {
		m, err := s.Exchange("udp", "_explain."+nginx, dns.TypeTXT)
		if err != nil {
			return "", err
		}
		var lines []string
		for _, rr := range m.Answer {
			lines = append(lines, strings.Join(rr.(*dns.TXT).Txt, ""))
		}
		return strings.Join(lines, "\n"), nil
	}
	eventually(t, "explain with the Corefile's zone and region", func() error {
		text, err := explained()
		if err != nil {
			return err
		}
		if !strings.Contains(text, "local topology: zone us-west9-a, region us-west9") || !strings.Contains(text, "member gce-us-east1: synced true") {
			return fmt.Errorf("got %q", text)
		}
		return nil
	})
	// fallthrough example.com: the federation zone's NXDOMAIN goes to file.
	s.expectDig(t, www, "A", want("NOERROR", www+" A 192.0.2.80"))

	// Without fallthrough the federation zone's NXDOMAIN stands.
	if err := os.WriteFile(s.ConfPath(), []byte(corefile("")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, www, "A", want("NXDOMAIN").withSOA("example.com."))
}

// TestNoAPICallPerQuery: a thousand federated questions cause no request
// for the objects the plugin reads (get, list or a new watch); it answers
// from its watches (SPEC 2.4). The apiserver's audit log is the witness.
func TestNoAPICallPerQuery(t *testing.T) {
	s := startFederationServer(t, "30s")
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	s.expectDig(t, zoneLevel, "A", want("NOERROR", ingresses(zoneLevel, localCluster)...))
	reads := func() int {
		events, err := local.Audit("coredns/federation")
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	before := reads()
	if before == 0 {
		t.Fatal("Expected the plugin's initial lists in the audit log")
	}
	names := []string{nginx, zoneLevel, globalLevel, "ghost.mynamespace.myfederation.svc.cluster.local."}
	for i := range 1000 {
		if _, err := s.Exchange("udp", names[i%len(names)], dns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	if after := reads(); after != before {
		t.Errorf("Expected no request to the API for 1000 questions, got %d", after-before)
	}
}
