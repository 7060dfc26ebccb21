package plugin

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// transferOf runs an AXFR (serial 0) or IXFR of zone and returns the
// records written, each as its text.
func transferOf(t *testing.T, f *Federation, zone string, serial uint32) []string {
	t.Helper()
	ch, err := f.Transfer(zone, serial)
	if err != nil {
		t.Fatalf("Transfer(%s, %d): %v", zone, serial, err)
	}
	var out []string
	for rrs := range ch {
		for _, rr := range rrs {
			out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	return out
}

// TestTransferIsTheZoneAnswered: the zone transferred holds the SOA first
// and last, the apex NS and its address, and every level name of the
// known places as the plugin answers it: addresses and SRV where a level
// has shards, the CNAME of the walk's first step where it has none, for
// the bare name and each named port (SPEC 13.1).
func TestTransferIsTheZoneAnswered(t *testing.T) {
	east := published("east", "r2", "z2", "203.0.113.40")
	east.Ports = []federation.Port{{Name: "http", Protocol: "tcp", Port: 80}}
	f := tableFederation(&stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {east}},
		places: []federation.Topology{{Zone: "z2", Region: "r2"}}}) // east's Node
	f.SetTransfer(nil, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
	f.refreshZones(time.Now())
	serial := f.serials.serialOf("example.com.")
	soa := "example.com. 17 IN SOA ns.dns.example.com. hostmaster.example.com. " + strconv.FormatUint(uint64(serial), 10) + " 60 10 86400 17"
	want := []string{
		soa,
		"example.com. 17 IN NS ns.dns.example.com.",
		"ns.dns.example.com. 17 IN A 127.0.0.1",
		"web.ns.myfed.svc.example.com. 17 IN A 203.0.113.40",
		"web.ns.myfed.svc.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.example.com.",
		"_http._tcp.web.ns.myfed.svc.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.example.com.",
		// The local place (z1, r1): no shard there.
		"web.ns.myfed.svc.r1.example.com. 17 IN CNAME web.ns.myfed.svc.example.com.",
		"_http._tcp.web.ns.myfed.svc.r1.example.com. 17 IN CNAME _http._tcp.web.ns.myfed.svc.example.com.",
		"web.ns.myfed.svc.z1.r1.example.com. 17 IN CNAME web.ns.myfed.svc.r1.example.com.",
		"_http._tcp.web.ns.myfed.svc.z1.r1.example.com. 17 IN CNAME _http._tcp.web.ns.myfed.svc.r1.example.com.",
		// The shard's place.
		"web.ns.myfed.svc.r2.example.com. 17 IN A 203.0.113.40",
		"web.ns.myfed.svc.r2.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.r2.example.com.",
		"_http._tcp.web.ns.myfed.svc.r2.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.r2.example.com.",
		"web.ns.myfed.svc.z2.r2.example.com. 17 IN A 203.0.113.40",
		"web.ns.myfed.svc.z2.r2.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.z2.r2.example.com.",
		"_http._tcp.web.ns.myfed.svc.z2.r2.example.com. 17 IN SRV 0 100 80 web.ns.myfed.svc.z2.r2.example.com.",
		soa,
	}
	got := transferOf(t, f, "Example.COM.", 0)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Expected the zone\n%s\ngot\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	// Every record is what the plugin answers for its name and type.
	for _, line := range got[1 : len(got)-1] {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatal(err)
		}
		h := rr.Header()
		fx := &fixture{t: t, f: f}
		resp, _, _ := fx.ask(h.Name, h.Rrtype)
		if resp == nil || !slices.ContainsFunc(resp.Answer, func(a dns.RR) bool { return dns.IsDuplicate(a, rr) }) {
			t.Errorf("Expected %s %s to answer %q, got %v", h.Name, dns.TypeToString[h.Rrtype], line, resp)
		}
	}
	// An IXFR from the current serial: the SOA alone; from an older one,
	// the whole zone.
	if got := transferOf(t, f, "example.com.", serial); len(got) != 1 {
		t.Errorf("Expected an up-to-date IXFR to get the SOA alone, got %v", got)
	}
	if got := transferOf(t, f, "example.com.", serial-1); len(got) != len(want) {
		t.Errorf("Expected an older IXFR to get the whole zone, got %d records:\n%s", len(got), strings.Join(got, "\n"))
	}
	if _, err := f.Transfer("example.org.", 0); err != transfer.ErrNotAuthoritative {
		t.Errorf("Expected a zone not served to be refused as not authoritative, got %v", err)
	}
	unsettled := tableFederation(&stubClusters{members: []string{"east"}, unsettled: true})
	if _, err := unsettled.Transfer("example.com.", 0); err == nil {
		t.Error("Expected no transfer while the members' shards are not known")
	}
	// A transfer sends the records its serial was taken of, not those of
	// a change that has not been taken yet.
	f.clusters.(*stubClusters).published["ns/web"] = nil
	if got := transferOf(t, f, "example.com.", 0); len(got) != len(want) {
		t.Errorf("Expected the zone of serial %d until the change is taken, got %d records", serial, len(got))
	}
}

// countingNotifier counts the NOTIFYs sent.
type countingNotifier struct{ n atomic.Int32 }

func (c *countingNotifier) Notify(string) error { c.n.Add(1); return nil }

// TestSerialFollowsChanges: the serial moves on every change of the zone,
// twice within one second too, never back across a restart, and each
// change sends NOTIFY; a refresh that finds the same zone sends none
// (SPEC 13.2).
func TestSerialFollowsChanges(t *testing.T) {
	caches := &stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {published("east", "r2", "z2", "203.0.113.40")}}}
	f := tableFederation(caches)
	n := &countingNotifier{}
	f.SetTransfer(n, nil)
	now := time.Unix(2_000_000_000, 0)
	forgetIssued()
	f.serials = newSerials(now)
	notified := func(want int32) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for n.n.Load() != want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := n.n.Load(); got != want {
			t.Fatalf("Expected %d NOTIFYs, got %d", want, got)
		}
	}
	f.refreshZones(now)
	notified(1) // the first take announces its serial
	s0 := f.serials.serialOf("example.com.")
	f.refreshZones(now)
	if s := f.serials.serialOf("example.com."); s != s0 {
		t.Errorf("Expected no new serial without a change, got %d after %d", s, s0)
	}
	caches.published["ns/web"] = []federation.PublishedShard{published("east", "r2", "z2", "203.0.113.41")}
	f.refreshZones(now.Add(100 * time.Millisecond))
	caches.published["ns/web"] = []federation.PublishedShard{published("east", "r2", "z2", "203.0.113.42")}
	f.refreshZones(now.Add(200 * time.Millisecond))
	s2 := f.serials.serialOf("example.com.")
	if s2 != s0+2 {
		t.Errorf("Expected two changes in one second to give two serials, %d then %d", s0, s2)
	}
	notified(3)
	// A restart a second later starts at the clock: not lower.
	if restarted := newSerials(now.Add(time.Second)); serialBefore(restarted.serialOf("example.com."), s2) {
		t.Errorf("Expected a restart not to lower the serial %d, got %d", s2, restarted.serialOf("example.com."))
	}
	// After a quiet spell the serial catches up with the clock.
	caches.published["ns/web"] = nil
	f.refreshZones(now.Add(time.Hour))
	if s := f.serials.serialOf("example.com."); s != clockSerial(now.Add(time.Hour)) {
		t.Errorf("Expected the serial of the clock, got %d", s)
	}
}

// BenchmarkZoneRecords takes a federation zone of 1,000 services, each
// published by two members in two regions of two zones: what every
// refresh of the zone costs (at most every 100 ms, SPEC 13.2).
func BenchmarkZoneRecords(b *testing.B) {
	caches := &stubClusters{members: []string{"east", "west"}, published: map[string][]federation.PublishedShard{},
		places: []federation.Topology{{Zone: "z2", Region: "r2"}, {Zone: "z3", Region: "r3"}}}
	for i := range 1000 {
		caches.published["ns/svc-"+strconv.Itoa(i)] = []federation.PublishedShard{
			published("east", "r2", "z2", "203.0.113.40"), published("west", "r3", "z3", "203.0.113.50"),
		}
	}
	f := tableFederation(caches)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		f.refreshZones(now)
	}
}

// forgetIssued forgets the serials earlier instances of the test process
// gave.
func forgetIssued() {
	issued.Lock()
	defer issued.Unlock()
	issued.serial = map[string]uint32{}
}

// TestSerialAcrossReload: a reload's new instance, built while the old one
// still runs and moves its serials, never answers or takes a serial below
// the old one's (SPEC 13.2).
func TestSerialAcrossReload(t *testing.T) {
	forgetIssued()
	caches := &stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {published("east", "r2", "z2", "203.0.113.40")}}}
	now := time.Unix(2_000_000_000, 0)
	old, next := tableFederation(caches), tableFederation(caches)
	old.serials, next.serials = newSerials(now), newSerials(now)
	// The old instance takes three changes within the same tenth of a
	// second: its serial runs ahead of the clock.
	for i := range 3 {
		caches.published["ns/web"] = []federation.PublishedShard{published("east", "r2", "z2", "203.0.113."+strconv.Itoa(40+i))}
		old.refreshZones(now)
	}
	last := old.serials.serialOf("example.com.")
	if got := next.serials.serialOf("example.com."); serialBefore(got, last) {
		t.Errorf("Expected the new instance to answer no serial below %d, got %d", last, got)
	}
	next.refreshZones(now)
	if got := next.serials.serialOf("example.com."); !serialBefore(last, got) {
		t.Errorf("Expected the new instance's first serial above %d, got %d", last, got)
	}
}

// TestTransferRefusedWithoutTransferPlugin: without the transfer plugin in
// the server, an AXFR of the federation zone is REFUSED here, never sent
// down the chain (to forward, say); with it, the question goes on to it.
func TestTransferRefusedWithoutTransferPlugin(t *testing.T) {
	f := tableFederation(&stubClusters{members: []string{"east"}})
	fx := &fixture{t: t, f: f}
	if _, rcode, _ := fx.ask("example.com.", dns.TypeAXFR); rcode != dns.RcodeRefused {
		t.Errorf("Expected REFUSED without a transfer plugin, got %s", dns.RcodeToString[rcode])
	}
	f.SetTransfer(&countingNotifier{}, nil)
	if _, rcode, _ := fx.ask("example.com.", dns.TypeIXFR); rcode != dns.RcodeNotImplemented {
		t.Errorf("Expected the next plugin to get it with a transfer plugin, got %s", dns.RcodeToString[rcode])
	}
}

// TestTransferIgnoresZonesTenantsClaim: the zones an EndpointSlice claims
// (a tenant writes its own) add no level names to the zone; the members'
// Nodes' places do (SPEC 13.1).
func TestTransferIgnoresZonesTenantsClaim(t *testing.T) {
	claimed := published("east", "r2", "z2", "203.0.113.40")
	for i := range 100 {
		claimed.Zones = append(claimed.Zones, "fake-"+strconv.Itoa(i))
	}
	f := tableFederation(&stubClusters{members: []string{"east"}, published: map[string][]federation.PublishedShard{"ns/web": {claimed}},
		places: []federation.Topology{{Zone: "z2", Region: "r2"}}})
	f.refreshZones(time.Now())
	for _, line := range transferOf(t, f, "example.com.", 0) {
		if strings.Contains(line, "fake-") {
			t.Fatalf("Expected no level of a claimed zone, got %s", line)
		}
	}
}

// TestSRVNeverWritesOverlongNames: an SRV target or a level name longer
// than 255 octets (a long cluster id, long labels) is left out, never
// written into an answer or a transfer that could not be packed (SPEC 6.4).
func TestSRVNeverWritesOverlongNames(t *testing.T) {
	f := tableFederation(&stubClusters{})
	long := strings.Repeat(strings.Repeat("a", 63)+".", 4) + "example.com."
	m := new(dns.Msg)
	m.SetQuestion("web.ns.svc.clusterset.local.", dns.TypeSRV)
	ports := []federation.Port{{Name: "http", Protocol: "tcp", Port: 80}}
	f.writeSRV(m, "web.ns.svc.clusterset.local.", dns.TypeSRV, federation.PortLabels{}, ports,
		[]srvTarget{{name: long, addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}, {name: "ok.example.com.", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}}})
	if len(m.Answer) != 1 || len(m.Extra) != 1 {
		t.Errorf("Expected only the target that fits, got %v", m)
	}
	if _, err := m.Pack(); err != nil {
		t.Errorf("Expected the answer to pack, got %v", err)
	}
	name := federation.ServiceName{Service: strings.Repeat("s", 63), Namespace: strings.Repeat("n", 63), Federation: "myfed"}
	at := federation.DomainName{Kind: federation.AtLevel, Service: name, Level: federation.LevelZone, Zone: strings.Repeat("z", 63), Region: strings.Repeat("r", 50)}
	if rrs := f.levelRecords(at, walk{at: at, n: 2, levels: [3]federation.Level{federation.LevelZone, federation.LevelRegion}}, ports, "example.com."); rrs != nil {
		t.Errorf("Expected no records of a level name over 255 octets, got %v", rrs)
	}
}
