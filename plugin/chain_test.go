package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	golog "log"
	"strings"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// captureLog collects what the plugin logs until the test ends.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	golog.SetOutput(&buf)
	t.Cleanup(func() { golog.SetOutput(io.Discard) })
	return &buf
}

// cnameChain is an answer of n distinct CNAMEs from start, ending in rcode.
func cnameChain(start string, n, rcode int) *dns.Msg {
	m := &dns.Msg{}
	m.Rcode = rcode
	owner := start
	for i := range n {
		next := fmt.Sprintf("c%d.example.net.", i)
		m.Answer = append(m.Answer, cnameTo(owner, next))
		owner = next
	}
	return m
}

// TestChainBoundAndItsLog: a chain of more than 8 distinct CNAMEs (no
// loop: through another plugin's zone) stops at 8 with SERVFAIL and is
// logged; a chain of exactly 8 that fails for another reason keeps its
// SERVFAIL and is not logged as a loop; a real loop is (SPEC 3.7).
func TestChainBoundAndItsLog(t *testing.T) {
	fx := newFixture(t, topo, "", externalName("web", "db.example.net"), externalName("self", "self.ns.myfed.svc.cluster.local"))
	ask := func(qname string) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(qname, dns.TypeA)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		fx.f.ServeDNS(context.WithValue(context.Background(), dnsserver.LoopKey{}, 0), rec, m)
		if rec.Msg == nil {
			t.Fatalf("Expected an answer to %s", qname)
		}
		return rec.Msg
	}
	logged := captureLog(t)

	fx.f.upstream = fixedUpstream{m: cnameChain("db.example.net.", 7, dns.RcodeServerFailure)}
	if got := ask(web); got.Rcode != dns.RcodeServerFailure || len(got.Answer) != 8 {
		t.Errorf("Expected the 8 CNAMEs and the upstream's SERVFAIL, got %s with %d records", dns.RcodeToString[got.Rcode], len(got.Answer))
	}
	if strings.Contains(logged.String(), "longer than") {
		t.Errorf("Expected a chain of 8 that failed upstream not logged as a loop, got %q", logged.String())
	}

	fx.f.upstream = fixedUpstream{m: cnameChain("db.example.net.", 12, dns.RcodeSuccess)}
	if got := ask(web); got.Rcode != dns.RcodeServerFailure || len(got.Answer) != maxChain {
		t.Errorf("Expected a chain of 13 cut at 8 with SERVFAIL, got %s with %d records", dns.RcodeToString[got.Rcode], len(got.Answer))
	}
	if n := strings.Count(logged.String(), "longer than 8"); n != 1 {
		t.Errorf("Expected the cut chain logged once, got %d: %q", n, logged.String())
	}

	fx.f.upstream = serverUpstream{fx.f}
	if got := ask("self.ns.myfed.svc.cluster.local."); got.Rcode != dns.RcodeServerFailure || len(got.Answer) != maxChain {
		t.Errorf("Expected the loop cut at 8 with SERVFAIL, got %s with %d records", dns.RcodeToString[got.Rcode], len(got.Answer))
	}
	if !strings.Contains(logged.String(), "CNAME chain of self.ns.myfed.svc.cluster.local. longer than 8") {
		t.Errorf("Expected the loop logged, got %q", logged.String())
	}
}
