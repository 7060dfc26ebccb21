//go:build e2e

package test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// secondary is a BIND 9 named of the test, a secondary of example.com.
// named listens only on the addresses of interfaces, so it listens on
// 127.0.0.1, on a port of its own.
type secondary struct {
	addr string // host:port
	cmd  *exec.Cmd
	log  *strings.Builder
}

// startSecondary runs named on 127.0.0.1 as a secondary of example.com
// whose primary is the plugin's server at primary, until the test ends.
func startSecondary(t *testing.T, primary string) *secondary {
	t.Helper()
	if _, err := exec.LookPath("named"); err != nil {
		t.Fatal("named not found: run `make e2e`, which installs Debian's bind9")
	}
	dir := t.TempDir()
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port %[2]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-query { any; };
};
controls { };
zone "example.com" {
	type secondary;
	primaries { %[3]s; };
	file "%[1]s/example.com.db";
	allow-notify { %[3]s; };
};
`, dir, port, primary)
	path := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &secondary{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: &strings.Builder{}}
	b.cmd = exec.Command("named", "-g", "-c", path)
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
		if t.Failed() {
			t.Logf("named log:\n%s", b.log.String())
		}
	})
	return b
}

// ask asks the server at addr (host:port) over UDP; nil on no answer.
func ask(addr, name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		return nil
	}
	return r
}

// serial returns the SOA serial the server at addr answers for
// example.com.
func serial(t *testing.T, addr string) uint32 {
	t.Helper()
	var s uint32
	eventually(t, "the SOA of example.com at "+addr, func() error {
		r := ask(addr, "example.com.", dns.TypeSOA)
		if r == nil || len(r.Answer) == 0 {
			return fmt.Errorf("no SOA: %v", r)
		}
		s = r.Answer[0].(*dns.SOA).Serial
		return nil
	})
	return s
}

// answerSection is the answer section of a question to host, each
// record as "owner TYPE data" (TTL left out), sorted.
func answerSection(addr, name string, qtype uint16) ([]string, error) {
	r := ask(addr, name, qtype)
	if r == nil {
		return nil, fmt.Errorf("%s: no answer to %s", addr, name)
	}
	out := []string{dns.RcodeToString[r.Rcode]}
	for _, rr := range r.Answer {
		out = append(out, record(rr))
	}
	slices.Sort(out[1:])
	return out, nil
}

// TestSecondaryCarriesTheZone: a real BIND 9 secondary of the plugin's
// federation zone loads it by zone transfer, answers every level as the
// plugin does, and after each of 20 failovers answers the new records
// within 2 s of the EndpointSlice write (NOTIFY, then the transfer). AXFR
// from an address that transfer's `to` does not list is REFUSED; two
// changes in one second give two increasing serials; a restart does not
// lower the serial (SPEC 13.1, 13.2).
func TestSecondaryCarriesTheZone(t *testing.T) {
	local, east, europe := bed.Cluster(localCluster), bed.Cluster("gce-us-east1"), bed.Cluster("gce-europe-west1")
	t.Cleanup(func() { _ = east.SetEndpoints(testbed.Service, "us-east1-b", 2, true) })
	host := newHost()
	b := startSecondary(t, host)
	cfg := serverConfig{
		host:       host,
		kubeconfig: local.Kubeconfig, zones: "cluster.local example.com", kubernetes: true,
		block: []string{"ttl 5", "member " + localCluster + " local", memberLine("gce-us-east1", east.Kubeconfig), memberLine("gce-europe-west1", europe.Kubeconfig)},
		extra: []string{"transfer {\n\t\tto " + b.addr + "\n\t\tsource " + host + "\n\t}"},
	}
	s := startWith(t, cfg)
	plugin := net.JoinHostPort(s.Host(), "53")
	eventually(t, "the secondary loads the zone", func() error {
		if r := ask(b.addr, "example.com.", dns.TypeSOA); r == nil || r.Rcode != dns.RcodeSuccess || !r.Authoritative {
			return fmt.Errorf("no authoritative SOA: %v", r)
		}
		return nil
	})

	// Every level of the members' places, as the plugin answers it. (A
	// region no member is in, asia-east1 here, is a level the plugin
	// answers and the zone cannot list.)
	names := []string{"nginx.mynamespace.myfederation.svc.example.com."}
	for _, sh := range testbed.SeedFederation {
		if sh.Cluster == "gce-asia-east1" {
			continue
		}
		names = append(names, "nginx.mynamespace.myfederation.svc."+sh.Region+".example.com.",
			"nginx.mynamespace.myfederation.svc."+sh.Zone+"."+sh.Region+".example.com.")
	}
	names = append(names, "example.com.", "ns.dns.example.com.")
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSRV} {
			eventually(t, "the secondary answers "+name+" "+dns.TypeToString[qtype]+" as the plugin", func() error {
				mine, err := answerSection(plugin, name, qtype)
				if err != nil {
					return err
				}
				theirs, err := answerSection(b.addr, name, qtype)
				if err != nil {
					return err
				}
				if !slices.Equal(mine, theirs) {
					return fmt.Errorf("the plugin answers %v, the secondary %v", mine, theirs)
				}
				return nil
			})
		}
	}

	// AXFR from an address transfer does not list: REFUSED. (The
	// secondary's, 127.0.0.1, is listed.)
	m := new(dns.Msg)
	m.SetAxfr("example.com.")
	tr := &dns.Transfer{}
	conn, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 2 * time.Second}).Dial("tcp", net.JoinHostPort(s.Host(), "53"))
	if err != nil {
		t.Fatal(err)
	}
	tr.Conn = &dns.Conn{Conn: conn}
	envs, err := tr.In(m, "")
	refused := err != nil && strings.Contains(err.Error(), "rcode")
	for e := range envs {
		refused = refused || (e.Error != nil && strings.Contains(e.Error.Error(), "rcode: 5"))
		if e.Error == nil && len(e.RR) > 0 {
			t.Errorf("Expected AXFR from 127.0.0.2 to be refused, got %d records", len(e.RR))
		}
	}
	if !refused {
		t.Errorf("Expected AXFR from 127.0.0.2 to be refused, got %v", err)
	}

	// 20 failovers of us-east1's shard, each seen by the secondary's
	// clients within 2 s of the EndpointSlice write.
	region := "nginx.mynamespace.myfederation.svc.us-east1.example.com."
	took := make([]time.Duration, 0, 20)
	for i := range 20 {
		healthy := i%2 == 1
		start := time.Now()
		if err := east.SetEndpoints(testbed.Service, "us-east1-b", 2, healthy); err != nil {
			t.Fatal(err)
		}
		for {
			r := ask(b.addr, region, dns.TypeA)
			if r != nil && len(r.Answer) > 0 {
				_, isA := r.Answer[0].(*dns.A)
				if healthy == isA {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("Flip %d: the secondary still answers %v after 10 s; the plugin's zone:\n%s", i, r, axfr(t, plugin))
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("secondary failover over %d flips: p50 %v, p95 %v, max %v", len(took), took[len(took)/2], took[len(took)*95/100], took[len(took)-1])
	if took[len(took)-1] > 2*time.Second {
		t.Errorf("Expected every failover at the secondary within 2 s, slowest %v", took[len(took)-1])
	}
	if r := ask(b.addr, region, dns.TypeA); r == nil || len(r.Answer) == 0 || record(r.Answer[0]) != region+" A 203.0.113.40" {
		t.Errorf("Expected the secondary to answer the healthy shard at the end, got %v", r)
	}

	// Two changes within one second: two increasing serials.
	s0 := serial(t, plugin)
	first := time.Now()
	var serials []uint32
	for _, healthy := range []bool{false, true} {
		if err := east.SetEndpoints(testbed.Service, "us-east1-b", 2, healthy); err != nil {
			t.Fatal(err)
		}
		prev := s0
		if len(serials) > 0 {
			prev = serials[len(serials)-1]
		}
		eventuallyWithin(t, time.Second, "a new serial", func() error {
			if v := serial(t, plugin); v != prev {
				serials = append(serials, v)
				return nil
			}
			return fmt.Errorf("serial still %d", prev)
		})
	}
	if time.Since(first) > time.Second || len(serials) != 2 || s0 >= serials[0] || serials[0] >= serials[1] {
		t.Errorf("Expected two increasing serials within a second after %d, got %v in %v", s0, serials, time.Since(first))
	}

	// A restart does not lower the serial.
	last := serial(t, plugin)
	s.Stop()
	cfg.host = newHost()
	again := startWith(t, cfg)
	if v := serial(t, net.JoinHostPort(again.Host(), "53")); v < last {
		t.Errorf("Expected the serial not to go back across a restart: %d, then %d", last, v)
	}
}

// axfr returns the zone example.com transferred from the server at addr
// (host:port) to 127.0.0.1, as text.
func axfr(t *testing.T, addr string) string {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr("example.com.")
	envs, err := new(dns.Transfer).In(m, addr)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for e := range envs {
		if e.Error != nil {
			b.WriteString(e.Error.Error() + "\n")
		}
		for _, rr := range e.RR {
			b.WriteString(rr.String() + "\n")
		}
	}
	return b.String()
}
