package plugin

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// serverUpstream re-enters the plugin as CoreDNS's upstream re-enters the
// server: with the question's context, and SERVFAIL written for a plugin
// that wrote nothing.
type serverUpstream struct{ f *Federation }

func (u serverUpstream) Lookup(ctx context.Context, state request.Request, name string, typ uint16) (*dns.Msg, error) {
	req := state.NewWithQuestion(name, typ)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, _ := u.f.ServeDNS(ctx, rec, req.Req)
	if rec.Msg == nil {
		m := new(dns.Msg)
		m.SetRcode(req.Req, rcode)
		return m, nil
	}
	return rec.Msg, nil
}

func externalName(name, target string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: target},
	}
}

// TestLoopsAreBounded: ExternalName services that point at their own
// federated name, or at each other, end after 8 CNAMEs with SERVFAIL
// (SPEC 3.7) instead of recursing until the stack overflows.
func TestLoopsAreBounded(t *testing.T) {
	fx := newFixture(t, topo, "",
		externalName("self", "self.ns.myfed.svc.cluster.local"),
		externalName("ping", "pong.ns.myfed.svc.cluster.local"),
		externalName("pong", "ping.ns.myfed.svc.cluster.local"),
	)
	fx.f.upstream = serverUpstream{fx.f}
	for _, name := range []string{"self", "ping"} {
		qname := name + ".ns.myfed.svc.cluster.local."
		ctx := context.WithValue(context.Background(), dnsserver.LoopKey{}, 0)
		m := new(dns.Msg)
		m.SetQuestion(qname, dns.TypeA)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, _ := fx.f.ServeDNS(ctx, rec, m)
		if rec.Msg == nil {
			t.Fatalf("%s: expected an answer written, got rcode %s", name, dns.RcodeToString[rcode])
		}
		if rec.Msg.Rcode != dns.RcodeServerFailure || len(rec.Msg.Answer) != 8 { // SPEC 3.7
			t.Errorf("%s: expected SERVFAIL after 8 CNAMEs, got %s with %d records", name, dns.RcodeToString[rec.Msg.Rcode], len(rec.Msg.Answer))
		}
		if rec.Msg.Answer[0].Header().Name != qname {
			t.Errorf("%s: expected the chain to start at the question, got %v", name, rec.Msg.Answer[0])
		}
	}
	// A chain through another plugin counts with the same key: one that is
	// already 7 deep gets its one CNAME and SERVFAIL.
	ctx := context.WithValue(context.Background(), dnsserver.LoopKey{}, 7)
	m := new(dns.Msg)
	m.SetQuestion("self.ns.myfed.svc.cluster.local.", dns.TypeA)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	fx.f.ServeDNS(ctx, rec, m)
	if rec.Msg == nil || rec.Msg.Rcode != dns.RcodeServerFailure || len(rec.Msg.Answer) != 1 {
		t.Errorf("Expected one CNAME and SERVFAIL at depth 7, got %v", rec.Msg)
	}
}

// fixedUpstream answers every chase with a copy of m.
type fixedUpstream struct{ m *dns.Msg }

func (u fixedUpstream) Lookup(_ context.Context, _ request.Request, name string, typ uint16) (*dns.Msg, error) {
	m := u.m.Copy()
	m.SetQuestion(name, typ)
	return m, nil
}

// TestChaseOutcomes: a chase the server cannot answer (REFUSED) leaves the
// CNAME with NOERROR; a truncated one sets TC; NXDOMAIN stays (SPEC 3.3).
func TestChaseOutcomes(t *testing.T) {
	fx := newFixture(t, topo, "")
	target := webZone
	refused := new(dns.Msg)
	refused.Rcode = dns.RcodeRefused
	truncated := new(dns.Msg)
	truncated.Truncated = true
	truncated.Answer = []dns.RR{test.A(target + " 60 IN A 203.0.113.1")}
	nxdomain := new(dns.Msg)
	nxdomain.Rcode = dns.RcodeNameError
	notimp := new(dns.Msg)
	notimp.Rcode = dns.RcodeNotImplemented
	for _, tc := range []struct {
		name      string
		chase     *dns.Msg
		rcode     int
		records   int
		truncated bool
	}{
		{"refused", refused, dns.RcodeSuccess, 1, false},
		{"truncated", truncated, dns.RcodeSuccess, 2, true},
		{"nxdomain", nxdomain, dns.RcodeNameError, 1, false},
		{"notimp", notimp, dns.RcodeSuccess, 1, false},
	} {
		fx.f.upstream = fixedUpstream{tc.chase}
		resp, _, _ := fx.ask(web, dns.TypeA)
		if resp == nil || resp.Rcode != tc.rcode || len(resp.Answer) != tc.records || resp.Truncated != tc.truncated {
			t.Errorf("%s: expected rcode %s, %d records, TC %v; got %v", tc.name, dns.RcodeToString[tc.rcode], tc.records, tc.truncated, resp)
			continue
		}
		if c, ok := resp.Answer[0].(*dns.CNAME); !ok || c.Target != target {
			t.Errorf("%s: expected the CNAME first, got %v", tc.name, resp.Answer[0])
		}
	}
}

// TestOnlyQueriesAreAnswered: NOTIFY, UPDATE and other opcodes go to the
// next plugin (SPEC 3.8).
func TestOnlyQueriesAreAnswered(t *testing.T) {
	fx := newFixture(t, topo, "")
	for _, op := range []int{dns.OpcodeNotify, dns.OpcodeUpdate, dns.OpcodeStatus} {
		m := new(dns.Msg)
		m.SetQuestion(web, dns.TypeSOA)
		m.Opcode = op
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if rcode, _ := fx.f.ServeDNS(context.Background(), rec, m); rcode != dns.RcodeNotImplemented || rec.Msg != nil {
			t.Errorf("Opcode %s: expected the next plugin's NOTIMP, got %s", dns.OpcodeToString[op], dns.RcodeToString[rcode])
		}
	}
}

// TestOverlongTargetIsServfail: a CNAME target longer than 255 octets is
// never written; the question gets SERVFAIL (SPEC 6.4).
func TestOverlongTargetIsServfail(t *testing.T) {
	fx := newFixture(t, topo, "")
	label := strings.Repeat("d", 60)
	fx.f.cfg.Federations["myfed"] = label + "." + label + "." + label + ".example.com."
	// svc.<ns>.myfed.svc.z1.r1.<domain>: 253 characters and the namespace.
	svc := strings.Repeat("s", 40)
	fits := svc + ".n.myfed.svc.cluster.local."  // a target of 254 characters, 255 octets
	over := svc + ".nn.myfed.svc.cluster.local." // one octet more
	resp, rcode, err := fx.ask(over, dns.TypeA)
	if resp != nil || rcode != dns.RcodeServerFailure || err == nil {
		t.Errorf("Expected SERVFAIL and nothing written, got %v %s %v", resp, dns.RcodeToString[rcode], err)
	}
	resp, _, _ = fx.ask(fits, dns.TypeCNAME)
	if resp == nil || len(resp.Answer) != 1 || len(resp.Answer[0].(*dns.CNAME).Target) != MaxNameLength {
		t.Fatalf("Expected a CNAME of %d characters for %s, got %v", MaxNameLength, fits, resp)
	}
	if _, err := resp.Pack(); err != nil {
		t.Errorf("Expected the longest target to pack, got %v", err)
	}
}

// localAddrWriter is a ResponseWriter whose local address is addr.
type localAddrWriter struct {
	test.ResponseWriter
	addr net.Addr
}

func (w *localAddrWriter) LocalAddr() net.Addr { return w.addr }

// TestNameServerAddressIsReal: on a server bound to a wildcard address,
// ns.dns.<domain> answers the host's addresses, never `::` or 0.0.0.0
// (SPEC 4.4).
func TestNameServerAddressIsReal(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	for _, local := range []string{"::", "0.0.0.0", "127.0.0.5"} {
		answered := 0
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			m := new(dns.Msg)
			m.SetQuestion("ns.dns.example.com.", qtype)
			rec := dnstest.NewRecorder(&localAddrWriter{addr: &net.UDPAddr{IP: net.ParseIP(local), Port: 53}})
			fx.f.ServeDNS(context.Background(), rec, m)
			if rec.Msg == nil || rec.Msg.Rcode != dns.RcodeSuccess {
				t.Fatalf("Local %s: expected an answer, got %v", local, rec.Msg)
			}
			answered += len(rec.Msg.Answer)
			for _, rr := range rec.Msg.Answer {
				var ip net.IP
				switch rr := rr.(type) {
				case *dns.A:
					ip = rr.A
				case *dns.AAAA:
					ip = rr.AAAA
				}
				if ip.IsUnspecified() {
					t.Errorf("Local %s: the name server answered an unspecified address %v", local, rr)
				}
			}
			if local == "127.0.0.5" && qtype == dns.TypeA && (len(rec.Msg.Answer) != 1 || !rec.Msg.Answer[0].(*dns.A).A.Equal(net.ParseIP(local))) {
				t.Errorf("Expected the address the question came in on, got %v", rec.Msg.Answer)
			}
		}
		if answered == 0 && len(hostAddresses()) > 0 {
			t.Errorf("Local %s: expected the host's addresses %v, got none", local, hostAddresses())
		}
	}
}

// TestReadyDespiteUnreachableMember: a member whose API refuses connections
// from the start never makes the plugin unready: readiness is the local
// caches alone (SPEC 8). The member settles after its grace (SPEC 4.5.2).
func TestReadyDespiteUnreachableMember(t *testing.T) {
	fx := newFixture(t, topo, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	client, err := federation.NewClient(&rest.Config{Host: "https://" + addr}, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	grace := 2 * time.Second
	watch := federation.NewCluster("gone", client, federation.Nodes{All: true}, federation.Options{})
	m := federation.NewMember("gone", watch, grace)
	fx.w.ws.Members = []*federation.Member{m}
	watch.Start(nil)
	t.Cleanup(watch.Stop)
	start := time.Now()
	for time.Since(start) < grace+time.Second {
		if !fx.f.Ready() {
			t.Fatalf("Expected ready %v after start with a member down", time.Since(start))
		}
		if settled := fx.w.Settled(time.Now()); settled && time.Since(start) < grace {
			t.Fatalf("Expected the member unsettled within its grace, settled after %v", time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !fx.w.Settled(time.Now()) {
		t.Errorf("Expected the member settled once its grace of %v had passed", grace)
	}
}

// TestHostnames: ingress hostnames resolve in the background; a failed
// refresh keeps the last good addresses; a hostname no member publishes is
// forgotten (SPEC 4.2.1).
func TestHostnames(t *testing.T) {
	answers := make(chan []netip.Addr, 10)
	fail := make(chan bool, 10)
	calls := make(chan string, 100)
	h := NewHostnames(func(_ context.Context, name string, qtype uint16) ([]netip.Addr, uint32, error) {
		calls <- name
		if qtype != dns.TypeA {
			return nil, 0, nil
		}
		select {
		case <-fail:
			return nil, 0, context.DeadlineExceeded
		case a := <-answers:
			return a, 0, nil
		default:
			return nil, 0, nil
		}
	})
	lb := "lb.example.net."
	ingress := []netip.Addr{netip.MustParseAddr("203.0.113.9")}
	if got := h.Addresses(ingress, []string{lb}); len(got) != 1 {
		t.Fatalf("Expected only the ingress IP before any lookup, got %v", got)
	}
	ctx := t.Context()
	first := netip.MustParseAddr("198.51.100.1")
	answers <- []netip.Addr{first}
	h.Want("east", []string{lb})
	go h.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for len(h.Addresses(ingress, []string{lb})) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("Expected the hostname's address to be added")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(ingress) != 1 {
		t.Error("Expected the shared ingress slice left alone")
	}
	h.mu.Lock()
	h.hosts[lb].due = time.Time{} // due now, and the refresh fails
	h.mu.Unlock()
	fail <- true
	deadline = time.Now().Add(5 * time.Second)
	for len(fail) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the failed refresh is stored
	if len(fail) > 0 {
		t.Fatal("Expected the refresh to run and fail")
	}
	if got := h.Addresses(nil, []string{lb}); len(got) != 1 || got[0] != first {
		t.Errorf("Expected the last good address kept through a failed refresh, got %v", got)
	}
	h.Want("east", nil)
	if got := h.Addresses(nil, []string{lb}); len(got) != 0 {
		t.Errorf("Expected a hostname no member publishes forgotten, got %v", got)
	}
}

// TestHostnameShardCountsOnceResolved: a shard whose ingress is only a
// hostname is not counted at its levels until the hostname has addresses,
// then answers with them (SPEC 4.2.1).
func TestHostnameShardCountsOnceResolved(t *testing.T) {
	fx := newFixture(t, topo, "")
	// The member's shard is in the local zone: counted, it would be the
	// CNAME target's level; not counted, the walk goes to the global level.
	objs := memberObjects(topo.Zone, topo.Region, "")
	objs[1].(*corev1.Service).Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb.example.net"}}
	fx.addMember("east", objs...)
	resolved := make(chan struct{})
	h := NewHostnames(func(_ context.Context, _ string, qtype uint16) ([]netip.Addr, uint32, error) {
		select {
		case <-resolved:
		default:
			return nil, 0, context.DeadlineExceeded
		}
		if qtype == dns.TypeA {
			return []netip.Addr{netip.MustParseAddr("198.51.100.7")}, 30, nil
		}
		return nil, 30, nil
	})
	fx.w.ws.Hostnames = h
	mw := &memberWatch{m: fx.w.ws.Members[0], hostnames: h}
	h.onChange = mw.update
	t.Cleanup(mw.stop)
	go h.Run(t.Context())
	mw.update()
	shards := func() float64 { return testutil.ToFloat64(healthyShards.WithLabelValues("east")) }
	if n := shards(); n != 0 {
		t.Errorf("Expected healthy_shards 0 while the hostname has no address, got %v", n)
	}
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
		Answer: []dns.RR{cnameTo(web, webGlobal)}, Ns: []dns.RR{zoneApexSOA}})
	close(resolved)
	fx.expect(test.Case{Qname: web, Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{cnameTo(web, webZone), test.A(webZone + " 17 IN A 198.51.100.7")}})
	deadline := time.Now().Add(5 * time.Second)
	for shards() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Expected healthy_shards 1 once the hostname resolved, got %v", shards())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerLookupDropsHostAddresses: a load balancer hostname that names
// loopback or link-local addresses cannot publish this host's own in the
// federation zone.
func TestServerLookupDropsHostAddresses(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, a := range []string{"127.0.0.1", "169.254.169.254", "198.51.100.7"} {
			m.Answer = append(m.Answer, test.A(r.Question[0].Name+" 30 IN A "+a))
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	addrs, ttl, err := ServerLookup(pc.LocalAddr().String())(context.Background(), "lb.example.net.", dns.TypeA)
	if err != nil || ttl != 30 || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("198.51.100.7") {
		t.Errorf("Expected only 198.51.100.7 with TTL 30, got %v %d %v", addrs, ttl, err)
	}
}
