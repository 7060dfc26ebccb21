//go:build e2e

package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// zoneKey generates a key-signing key of example.com as a DNS team would
// (ECDSA P-256), writes it in BIND's K*.key and K*.private files in dir,
// and returns the files' base path and the key.
func zoneKey(t *testing.T, dir string) (string, *dns.DNSKEY) {
	t.Helper()
	key := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := key.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, fmt.Sprintf("Kexample.com.+%03d+%05d", key.Algorithm, key.KeyTag()))
	if err := os.WriteFile(base+".key", []byte(key.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".private", []byte(key.PrivateKeyString(priv)), 0o600); err != nil {
		t.Fatal(err)
	}
	return base, key
}

// delv validates name and qtype with delv (bind9-dnsutils) at the server,
// the key as its trust anchor, and returns what it printed.
func delv(t *testing.T, s *server, anchors, name, qtype string) string {
	t.Helper()
	out, _ := exec.Command("delv", "@"+s.Host(), "-p", "53", "-a", anchors, "+root=example.com", name, qtype).CombinedOutput()
	return string(out)
}

// TestDNSSECSignsTheZone: with CoreDNS's dnssec plugin in the block (which
// cmd/coredns places before the plugin) and a generated key, delv with
// that key as its trust anchor validates a level's A answer, a CNAME chain
// across levels and a name that does not exist, before and after a
// failover; dig +dnssec shows the signatures (SPEC 13.3).
func TestDNSSECSignsTheZone(t *testing.T) {
	if _, err := exec.LookPath("delv"); err != nil {
		t.Fatal("delv not found: run `make e2e`, which installs bind9-dnsutils")
	}
	local, east := bed.Cluster(localCluster), bed.Cluster("gce-us-east1")
	t.Cleanup(func() { _ = east.SetEndpoints(testbed.Service, "us-east1-b", 2, true) })
	dir := t.TempDir()
	base, key := zoneKey(t, dir)
	anchors := filepath.Join(dir, "anchors.conf")
	ds := key.ToDS(dns.SHA256)
	conf := fmt.Sprintf("trust-anchors {\n\texample.com. static-key %d %d %d \"%s\";\n};\n", key.Flags, key.Protocol, key.Algorithm, key.PublicKey)
	if err := os.WriteFile(anchors, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startWith(t, serverConfig{
		kubeconfig: local.Kubeconfig, zones: "cluster.local example.com", kubernetes: true,
		block: []string{"ttl 5", "member " + localCluster + " local", memberLine("gce-us-east1", east.Kubeconfig)},
		extra: []string{"dnssec example.com {\n\t\tkey file " + base + "\n\t}"},
	})
	region := "nginx.mynamespace.myfederation.svc.us-east1.example.com."
	chain := "nginx.mynamespace.myfederation.svc.us-east1-c.us-east1.example.com." // no shard in zone c: CNAME to the region
	ghost := "ghost.mynamespace.myfederation.svc.us-east1-c.us-east1.example.com." // no shard anywhere: a chain to NXDOMAIN
	global := "nginx.mynamespace.myfederation.svc.example.com."
	validated := func(name, qtype, want string) {
		t.Helper()
		eventually(t, "delv "+name+" "+qtype, func() error {
			out := delv(t, s, anchors, name, qtype)
			if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
				return fmt.Errorf("delv printed, wanting %q:\n%s", want, out)
			}
			return nil
		})
	}
	validated(region, "A", "; fully validated")
	validated(region, "A", region+" 5 IN A 203.0.113.40")
	validated(chain, "A", chain+" 5 IN CNAME "+region)
	validated(chain, "A", "; fully validated")
	validated("nosuch.mynamespace.myfederation.svc.example.com.", "A", "; negative response, fully validated")
	// A chain that ends without records: NODATA (AAAA of an IPv4-only
	// service) and NXDOMAIN (a service with no shard), each proven.
	// delv follows the signed CNAME and validates the target's denial
	// (an NSEC: dnssec answers NXDOMAIN as NODATA).
	for _, name := range []string{chain, ghost} {
		qtype := map[string]string{chain: "AAAA", ghost: "A"}[name]
		validated(name, qtype, "; fully validated")
		validated(name, qtype, "ncache nxrrset")
		validated(name, qtype, " NSEC ")
	}

	// The signed answer itself proves what it denies: a chain that ends
	// without records either carries an NSEC or stops at its first CNAME,
	// for the resolver to ask the target (a validating resolver that takes
	// the chain as given would find no proof and call it bogus).
	for _, name := range []string{chain, ghost} {
		m := new(dns.Msg)
		m.SetQuestion(name, map[string]uint16{chain: dns.TypeAAAA, ghost: dns.TypeA}[name])
		m.SetEdns0(4096, true)
		r, err := dns.Exchange(m, s.Host()+":53")
		if err != nil {
			t.Fatal(err)
		}
		proved := false
		for _, rr := range r.Ns {
			proved = proved || rr.Header().Rrtype == dns.TypeNSEC
		}
		cnames := 0
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == dns.TypeCNAME {
				cnames++
			}
		}
		if !proved && (cnames != 1 || len(r.Ns) != 0) {
			t.Errorf("Expected the DO answer of %s to prove its denial or stop at its first CNAME, got %v", name, r)
		}
	}

	// dig +dnssec: the RRSIGs.
	out, err := exec.Command("dig", "@"+s.Host(), "-p", "53", "+dnssec", "+noall", "+answer", region, "A").CombinedOutput()
	if err != nil || !strings.Contains(strings.Join(strings.Fields(string(out)), " "), "RRSIG A 13 ") {
		t.Errorf("Expected an RRSIG over the A records, got %v:\n%s", err, out)
	}

	// A failover: the new answer is signed too.
	if err := east.SetEndpoints(testbed.Service, "us-east1-b", 2, false); err != nil {
		t.Fatal(err)
	}
	validated(region, "A", region+" 5 IN CNAME "+global)
	validated(region, "A", "; fully validated")
	t.Logf("DS record to publish in the parent zone: %s", ds)
}
