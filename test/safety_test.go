//go:build e2e

package test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// createExternalName creates an ExternalName Service in the local cluster,
// as any tenant with edit rights in a namespace can, until the test ends.
func createExternalName(t *testing.T, name, target string) {
	t.Helper()
	local := bed.Cluster(localCluster)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testbed.Namespace},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: target},
	}
	if _, err := local.Client.CoreV1().Services(testbed.Namespace).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.DeleteService(name) })
}

// rssMiB is the resident memory of process pid.
func rssMiB(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestLoopsUnderBurst: a Service whose external name is its own federated
// name, and two that point at each other, under a burst of 900 questions:
// each is answered with 8 CNAMEs and SERVFAIL, CoreDNS stays up with
// bounded memory, logs each loop once, and answers a healthy name at once
// right after (SPEC 3.7). Before the bound, the first question ended the
// process with a stack overflow.
func TestLoopsUnderBurst(t *testing.T) {
	name := func(svc string) string { return svc + ".mynamespace.myfederation.svc.cluster.local." }
	createExternalName(t, "loop-self", strings.TrimSuffix(name("loop-self"), "."))
	createExternalName(t, "loop-a", strings.TrimSuffix(name("loop-b"), "."))
	createExternalName(t, "loop-b", strings.TrimSuffix(name("loop-a"), "."))
	s := localServer(t)
	ip := clusterIP(t, localCluster, testbed.Service)

	bounded := func(m *dns.Msg) error {
		if m.Rcode != dns.RcodeServerFailure || len(m.Answer) != 8 {
			return fmt.Errorf("got %v", reduce(m))
		}
		for _, rr := range m.Answer {
			if rr.Header().Rrtype != dns.TypeCNAME {
				return fmt.Errorf("got %v", reduce(m))
			}
		}
		return nil
	}
	eventually(t, "dig of the self loop", func() error {
		got, err := s.dig("udp", name("loop-self"), "A")
		if err != nil {
			return err
		}
		if got.rcode != "SERVFAIL" || len(got.records) != 8 || got.records[0] != name("loop-self")+" CNAME "+name("loop-self") {
			return fmt.Errorf("got %v", got)
		}
		return nil
	})

	const burst, inFlight = 900, 12
	var bad, failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	loops := []string{name("loop-self"), name("loop-a"), name("loop-b")}
	for range inFlight {
		wg.Go(func() {
			for i := next.Add(1); i <= burst; i = next.Add(1) {
				m, err := s.Exchange("udp", loops[i%3], dns.TypeA)
				switch {
				case err != nil:
					failed.Add(1)
				case bounded(m) != nil:
					if bad.Add(1) == 1 {
						t.Logf("First unbounded answer: %v", bounded(m))
					}
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 || failed.Load() != 0 {
		t.Errorf("Expected %d answers of 8 CNAMEs and SERVFAIL, got %d otherwise and %d unanswered", burst, bad.Load(), failed.Load())
	}
	if !s.Running() {
		t.Fatalf("CoreDNS died:\n%s", s.Log())
	}
	if rss := rssMiB(t, s.Pid()); rss > 256 {
		t.Errorf("Expected CoreDNS under 256 MiB after the burst, got %.0f MiB", rss)
	}
	start := time.Now()
	m, err := s.Exchange("udp", nginx, dns.TypeA)
	if took := time.Since(start); err != nil || !reduce(m).equal(want("NOERROR", nginx+" A "+ip)) || took > time.Second {
		t.Errorf("Expected the healthy name answered within a second, got %v %v in %v", m, err, took)
	}
	if n := strings.Count(s.Log(), "longer than 8"); n < 1 || n > len(loops) {
		t.Errorf("Expected each loop logged once (1 to %d lines), got %d:\n%s", len(loops), n, s.Log())
	}
}

// TestOverlongNameServfail: a question whose CNAME target would pass 255
// octets gets SERVFAIL at once, nothing is sent (SPEC 6.4).
func TestOverlongNameServfail(t *testing.T) {
	label := strings.Repeat("d", 60)
	domain := label + "." + label + "." + label + ".example.net"
	s := startWith(t, serverConfig{
		kubeconfig: bed.Cluster(localCluster).Kubeconfig, zones: "cluster.local",
		block: []string{"longfed " + domain}, kubernetes: true,
	})
	qname := strings.Repeat("s", 63) + "." + strings.Repeat("n", 63) + ".longfed.svc.cluster.local."
	eventually(t, "SERVFAIL for the overlong name", func() error {
		start := time.Now()
		got, err := s.dig("udp", qname, "A")
		if err != nil {
			return err
		}
		if took := time.Since(start); !got.equal(want("SERVFAIL")) || took > time.Second {
			return fmt.Errorf("got %v in %v", got, took)
		}
		return nil
	})
	if !strings.Contains(s.Log(), "longer than 255 octets") {
		t.Errorf("Expected the cause logged, got:\n%s", s.Log())
	}
}

// TestUnanswerableChaseKeepsCNAME: with README's first example, a
// cluster.local block without the federation zone or a forwarder, the chase
// of the CNAME is REFUSED by the server; the answer is the CNAME alone with
// NOERROR, for the client's resolver to follow (SPEC 3.3).
func TestUnanswerableChaseKeepsCNAME(t *testing.T) {
	kc := bed.Cluster(localCluster).Kubeconfig
	host := newHost()
	s := runServer(t, t.TempDir(), host, fmt.Sprintf(`cluster.local:53 {
	bind %s
	federation {
		myfederation example.com
		kubeconfig %s
		node %s
	}
	kubernetes {
		kubeconfig %s
	}
}
`, host, kc, testbed.Node, kc))
	restoreNginx(t)
	scale(t, localCluster, 0)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" CNAME "+nginxZone))
}

// TestTruncatedChaseSetsTC: a chased target whose upstream answers
// truncated (TC, one record: small enough that CoreDNS itself would never
// truncate the answer) gives the client an answer with TC, which makes it
// retry over TCP, where the answer is whole (SPEC 3.3).
func TestTruncatedChaseSetsTC(t *testing.T) {
	upstream := truncatingUpstream(t, "198.51.100.9")
	dir := t.TempDir()
	s := startWith(t, serverConfig{
		dir: dir, kubeconfig: bed.Cluster(localCluster).Kubeconfig, zones: "cluster.local", kubernetes: true,
		more: "example.com:53 {\n\tbind %[1]s\n\tforward . " + upstream + "\n}\n",
	})
	restoreNginx(t)
	scale(t, localCluster, 0)
	ask := func(net string) (*dns.Msg, error) {
		m := new(dns.Msg)
		m.SetQuestion(nginx, dns.TypeA)
		m.SetEdns0(1232, false)
		r, _, err := (&dns.Client{Net: net, Timeout: 2 * time.Second}).Exchange(m, s.Addr)
		return r, err
	}
	whole := want("NOERROR", nginx+" CNAME "+nginxZone, nginxZone+" A 198.51.100.9")
	eventually(t, "the whole chased answer over TCP", func() error {
		r, err := ask("tcp")
		if err != nil {
			return err
		}
		if got := reduce(r); !got.equal(whole) || r.Truncated {
			return fmt.Errorf("got %v, TC %v", got, r.Truncated)
		}
		return nil
	})
	r, err := ask("udp")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || len(r.Answer) == 0 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
		t.Errorf("Expected the CNAME with TC over UDP, got %v", r)
	}
}

// truncatingUpstream serves every name on a loopback port with one A record
// of ip: truncated (TC) over UDP, whole over TCP, as a server with more
// records than fit does. It returns the address.
func truncatingUpstream(t *testing.T, ip string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		m.Truncated = w.LocalAddr().Network() == "udp"
		if r.Question[0].Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(ip)}}
		}
		_ = w.WriteMsg(m)
	})
	udp, tcp := &dns.Server{PacketConn: pc, Handler: handler}, &dns.Server{Listener: l, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return pc.LocalAddr().String()
}

// TestOnlyQueriesAnswered: a NOTIFY for a federated name is not answered
// as a query (SPEC 3.8).
func TestOnlyQueriesAnswered(t *testing.T) {
	s := localServer(t)
	ip := clusterIP(t, localCluster, testbed.Service)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+ip))
	m := new(dns.Msg)
	m.SetNotify(nginx)
	m.Question[0].Qtype = dns.TypeA
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Answer) != 0 || r.Rcode == dns.RcodeSuccess {
		t.Errorf("Expected the NOTIFY not answered as a query, got %v", reduce(r))
	}
}
