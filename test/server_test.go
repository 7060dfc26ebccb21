//go:build e2e

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// The local cluster of the tests' CoreDNS, and its place.
const (
	localCluster = "gce-us-central1"
	localZone    = "us-central1-b"
	localRegion  = "us-central1"
)

const (
	nginx     = "nginx.mynamespace.myfederation.svc.cluster.local."
	nginxZone = "nginx.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com."
	// remoteIP is what the stand-in federation zone answers for nginxZone.
	remoteIP = "203.0.113.40"
)

// exampleZone stands in for the federation zone: a file zone in another
// server block of the same CoreDNS, which answers the chased CNAMEs.
const exampleZone = `$ORIGIN example.com.
@ 30 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 30
@ 30 IN NS ns.example.com.
ns 30 IN A 127.0.0.1
nginx.mynamespace.myfederation.svc.us-central1-b.us-central1 30 IN A 203.0.113.40
ghost.mynamespace.myfederation.svc.us-central1-b.us-central1 30 IN A 203.0.113.41
ghost.mynamespace.myfederation.svc.us-central1-c.us-central1 30 IN A 203.0.113.42
`

// nextHost numbers the loopback addresses of newHost.
var nextHost atomic.Int32

// server is a CoreDNS of the test, serving the local cluster.
type server struct {
	*testbed.CoreDNS
	metrics string // host:port of the prometheus listener
}

// startServer runs bin/coredns with the federation and kubernetes plugins
// on the local cluster at kubeconfig, and the stand-in federation zone.
func startServer(t *testing.T, kubeconfig string) *server {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "db.example.com")
	if err := os.WriteFile(db, []byte(exampleZone), 0o644); err != nil {
		t.Fatal(err)
	}
	return startWith(t, serverConfig{
		dir: dir, kubeconfig: kubeconfig, zones: "cluster.local", block: []string{"ttl 5"}, kubernetes: true,
		more: "example.com:53 {\n\tbind %[1]s\n\tfile " + db + "\n}\n",
	})
}

// serverConfig is what differs between the tests' CoreDNS servers.
type serverConfig struct {
	dir        string   // for the Corefile and the log; a new temporary one if empty
	kubeconfig string   // the local cluster's
	zones      string   // the federation plugin's ZONES
	block      []string // lines of the federation block besides the federation, kubeconfig and node
	kubernetes bool     // whether the kubernetes plugin follows it
	// next, if set, is a plugin line after them whose answer nothing else
	// gives (whoami): a SERVFAIL is then the plugin's, not the next one's.
	next string
	// extra are further plugin lines of the block (cache 30, say).
	extra []string
	// node is the node CoreDNS runs on; the seed's node-1 if empty.
	node string
	// host is the loopback address it listens on; a new one if empty.
	host string
	more string // further server blocks; %[1]s is the host
}

// startWith runs bin/coredns on a new loopback host with the federation
// plugin as c says, metrics on host:9153.
func startWith(t *testing.T, c serverConfig) *server {
	t.Helper()
	host := c.host
	if host == "" {
		host = newHost()
	}
	if c.dir == "" {
		c.dir = t.TempDir()
	}
	var b strings.Builder
	fmt.Fprintf(&b, ".:53 {\n\tbind %[1]s\n\terrors\n\tprometheus %[1]s:9153\n", host)
	if c.node == "" {
		c.node = testbed.Node
	}
	fmt.Fprintf(&b, "\tfederation %s {\n\t\tmyfederation example.com\n\t\tkubeconfig %s\n\t\tnode %s\n", c.zones, c.kubeconfig, c.node)
	for _, l := range c.block {
		fmt.Fprintf(&b, "\t\t%s\n", l)
	}
	b.WriteString("\t}\n")
	if c.kubernetes {
		fmt.Fprintf(&b, "\tkubernetes cluster.local {\n\t\tkubeconfig %s\n\t}\n", c.kubeconfig)
	}
	if c.next != "" {
		fmt.Fprintf(&b, "\t%s\n", c.next)
	}
	for _, l := range c.extra {
		fmt.Fprintf(&b, "\t%s\n", l)
	}
	b.WriteString("}\n")
	if c.more != "" {
		fmt.Fprintf(&b, c.more, host)
	}
	return runServer(t, c.dir, host, b.String())
}

// newHost hands each CoreDNS of the run its own loopback address, so each
// can listen on port 53, the only port the glibc resolver uses.
func newHost() string { return fmt.Sprintf("127.0.1.%d", 10+nextHost.Add(1)) }

// runServer runs bin/coredns on corefile in dir, listening on host:53 with
// metrics on host:9153, until the test ends; its log is shown if it fails.
func runServer(t *testing.T, dir, host, corefile string) *server {
	t.Helper()
	c, err := testbed.StartCoreDNS(coredns, dir, host+":53", corefile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("CoreDNS log:\n%s", c.Log())
		}
	})
	return &server{CoreDNS: c, metrics: host + ":9153"}
}

func localServer(t *testing.T) *server {
	t.Helper()
	return startServer(t, bed.Cluster(localCluster).Kubeconfig)
}

// eventually retries check every 100ms for up to a minute: informers see
// API changes a moment after they are made, and reconnect to an apiserver
// that was down with a backoff of up to 30s.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	eventuallyWithin(t, time.Minute, what, check)
}

// eventuallyWithin is eventually with another limit.
func eventuallyWithin(t *testing.T, limit time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// answer is a DNS answer reduced to what the tests compare: the rcode, the
// AA bit, the answer section and the owner of the SOA in the authority
// section (its serial and timers are not predicted).
type answer struct {
	rcode   string
	aa      bool
	records []string // "owner TYPE data", TTL left out
	soa     string   // owner of the authority section's SOA, or ""
}

func (a answer) String() string {
	s := a.rcode
	if a.aa {
		s += " aa"
	}
	s += " [" + strings.Join(a.records, "; ") + "]"
	if a.soa != "" {
		s += " soa " + a.soa
	}
	return s
}

func reduce(m *dns.Msg) answer {
	a := answer{rcode: dns.RcodeToString[m.Rcode], aa: m.Authoritative}
	for _, rr := range m.Answer {
		a.records = append(a.records, record(rr))
	}
	for _, rr := range m.Ns {
		if rr.Header().Rrtype == dns.TypeSOA {
			a.soa = rr.Header().Name
		}
	}
	return a
}

// record is rr as "owner TYPE data", without TTL and class.
func record(rr dns.RR) string {
	h := rr.Header()
	return h.Name + " " + dns.TypeToString[h.Rrtype] + " " + strings.TrimPrefix(rr.String(), h.String())
}

// want builds an authoritative answer: rcode, then "owner TYPE data"
// records, with no SOA in the authority section. SERVFAIL and REFUSED are
// written by the server, which sets no AA bit.
func want(rcode string, records ...string) answer {
	return answer{rcode: rcode, aa: rcode != "SERVFAIL" && rcode != "REFUSED", records: records}
}

// withSOA is a with the SOA of zone in the authority section, as every
// NXDOMAIN and NODATA answer carries it.
func (a answer) withSOA(zone string) answer {
	a.soa = zone
	return a
}

func (a answer) equal(b answer) bool {
	return a.String() == b.String()
}

// restoreNginx puts the local nginx shard back to its seeded state.
func restoreNginx(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 2, true); err != nil {
			t.Error(err)
		}
	})
}
