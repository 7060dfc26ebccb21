package federation

import (
	"net/netip"
	"slices"
	"testing"
)

func ips(s ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(s))
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// levelAnswer is what a level name answers: addresses, or the level its
// CNAME points at, or NXDOMAIN (LevelNone with no addresses).
func levelAnswer(shards []PublishedShard, l Level, zone, region string) (addrs []netip.Addr, cname Level) {
	if a := Addresses(shards, l, zone, region); len(a) > 0 {
		return a, LevelNone
	}
	return nil, l.Up()
}

func TestHierarchy(t *testing.T) {
	east1b := PublishedShard{Cluster: "us-east1", Region: "us-east1", Zones: []string{"us-east1-b"}, Ingress: ips("203.0.113.40")}
	east1c := PublishedShard{Cluster: "us-east1-c", Region: "us-east1", Zones: []string{"us-east1-c"}, Ingress: ips("203.0.113.41")}
	multi := PublishedShard{Cluster: "multi", Region: "eu", Zones: []string{"eu-a", "eu-b"}, Ingress: ips("203.0.113.50", "2001:db8::50")}

	type query struct {
		level        Level
		zone, region string
		addrs        []netip.Addr
		cname        Level
	}
	tests := []struct {
		name    string
		shards  []PublishedShard
		queries []query
	}{
		{"no ingress anywhere: a CNAME chain down to NXDOMAIN", nil, []query{
			{LevelZone, "us-east1-b", "us-east1", nil, LevelRegion},
			{LevelRegion, "", "us-east1", nil, LevelGlobal},
			{LevelGlobal, "", "", nil, LevelNone},
		}},
		{"one healthy shard", []PublishedShard{east1b}, []query{
			{LevelZone, "us-east1-b", "us-east1", ips("203.0.113.40"), LevelNone},
			{LevelRegion, "", "us-east1", ips("203.0.113.40"), LevelNone},
			{LevelZone, "us-east1-c", "us-east1", nil, LevelRegion},
			{LevelZone, "europe-west1-b", "europe-west1", nil, LevelRegion},
			{LevelRegion, "", "europe-west1", nil, LevelGlobal},
			{LevelGlobal, "", "", ips("203.0.113.40"), LevelNone},
			// A zone of another region with the same name is not the shard's.
			{LevelZone, "us-east1-b", "elsewhere", nil, LevelRegion},
		}},
		{"two shards in one region", []PublishedShard{east1b, east1c}, []query{
			{LevelZone, "us-east1-b", "us-east1", ips("203.0.113.40"), LevelNone},
			{LevelZone, "us-east1-c", "us-east1", ips("203.0.113.41"), LevelNone},
			{LevelRegion, "", "us-east1", ips("203.0.113.40", "203.0.113.41"), LevelNone},
			{LevelGlobal, "", "", ips("203.0.113.40", "203.0.113.41"), LevelNone},
		}},
		{"a multi-zone cluster counts in each of its zones", []PublishedShard{multi, east1b}, []query{
			{LevelZone, "eu-a", "eu", ips("203.0.113.50", "2001:db8::50"), LevelNone},
			{LevelZone, "eu-b", "eu", ips("203.0.113.50", "2001:db8::50"), LevelNone},
			{LevelZone, "eu-c", "eu", nil, LevelRegion},
			{LevelGlobal, "", "", ips("203.0.113.40", "203.0.113.50", "2001:db8::50"), LevelNone},
		}},
	}
	for _, tc := range tests {
		for i, q := range tc.queries {
			addrs, cname := levelAnswer(tc.shards, q.level, q.zone, q.region)
			if !slices.Equal(addrs, q.addrs) || cname != q.cname {
				t.Errorf("%s, query %d (%s %s/%s): expected %v or CNAME to %s, got %v or CNAME to %s",
					tc.name, i, q.level, q.zone, q.region, q.addrs, q.cname, addrs, cname)
			}
			// A level never holds both a CNAME and addresses.
			if len(addrs) > 0 && cname != LevelNone {
				t.Errorf("%s, query %d: both addresses and a CNAME", tc.name, i)
			}
		}
	}
}

func TestNearest(t *testing.T) {
	east := PublishedShard{Region: "us-east1", Zones: []string{"us-east1-b"}, Ingress: ips("203.0.113.40")}
	tests := []struct {
		shards []PublishedShard
		zone   string
		region string
		want   Level
	}{
		{[]PublishedShard{east}, "us-east1-b", "us-east1", LevelZone},
		{[]PublishedShard{east}, "us-east1-c", "us-east1", LevelRegion},
		{[]PublishedShard{east}, "us-central1-b", "us-central1", LevelGlobal},
		{nil, "us-central1-b", "us-central1", LevelNone},
	}
	for i, tc := range tests {
		if got := nearest(tc.shards, LevelZone, tc.zone, tc.region); got != tc.want {
			t.Errorf("Test %d: expected %s, got %s", i, tc.want, got)
		}
	}
}

func TestParseZoneName(t *testing.T) {
	isFed := func(l string) bool { return l == "myfed" }
	n := ServiceName{"nginx", "ns", "myfed"}
	tests := []struct {
		qname string
		want  DomainName
	}{
		{"example.com.", DomainName{Kind: Apex}},
		{"EXAMPLE.com.", DomainName{Kind: Apex}},
		{"ns.dns.example.com.", DomainName{Kind: NameServer}},
		{"nginx.ns.myfed.svc.example.com.", DomainName{Kind: AtLevel, Level: LevelGlobal, Service: n}},
		{"nginx.ns.myfed.svc.us-east1.example.com.", DomainName{Kind: AtLevel, Level: LevelRegion, Service: n, Region: "us-east1"}},
		{"Nginx.NS.MyFed.svc.US-East1-B.us-east1.example.com.", DomainName{Kind: AtLevel, Level: LevelZone, Service: n, Zone: "us-east1-b", Region: "us-east1"}},
		// Empty non-terminals: ancestors of possible level names.
		{"svc.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"myfed.svc.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"ns.myfed.svc.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"anyregion.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"svc.us-east1.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"ns.myfed.svc.us-east1.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"svc.us-east1-b.us-east1.example.com.", DomainName{Kind: EmptyNonTerminal}},
		{"ns.myfed.svc.us-east1-b.us-east1.example.com.", DomainName{Kind: EmptyNonTerminal}},
		// Nothing can be there.
		{"x.nginx.ns.myfed.svc.us-east1-b.us-east1.example.com.", DomainName{}},
		{"nginx.ns.other.svc.example.com.", DomainName{}},
		{"nginx.ns.other.svc.us-east1.example.com.", DomainName{}},
		{"1nginx.ns.myfed.svc.example.com.", DomainName{}},
		{"www.foo.example.com.", DomainName{Kind: EmptyNonTerminal}}, // zone www of region foo
		{"a.www.foo.example.com.", DomainName{}},
		{"a_b.example.com.", DomainName{}},
		{"example.org.", DomainName{}},
		{"notexample.com.", DomainName{}},
	}
	for i, tc := range tests {
		if got := ParseDomainName(tc.qname, "example.com.", isFed); got != tc.want {
			t.Errorf("Test %d, %s: expected %+v, got %+v", i, tc.qname, tc.want, got)
		}
	}
}

// nearest is the default walk of SPEC 3.2 and 4.3 written as plainly as
// possible, the oracle that Route and the fuzz targets are checked
// against: the nearest level, from l up, that has a shard; LevelNone when
// no shard is healthy anywhere.
func nearest(shards []PublishedShard, l Level, zone, region string) Level {
	for ; l != LevelNone; l = l.Up() {
		if hasShard(shards, l, zone, region) {
			return l
		}
	}
	return LevelNone
}
