package federation

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzParseServiceName checks that a federated name, once parsed, is made of valid
// labels and spells the question again.
func FuzzParseServiceName(f *testing.F) {
	for _, s := range []string{
		"nginx.mynamespace.myfed.svc.cluster.local.", "myfed.svc.cluster.local.", "A.B.C.SVC.cluster.local.",
		`a\.b.c.d.svc.cluster.local.`, "..svc.cluster.local.", "x.nginx.ns.f.svc.cluster.local.",
	} {
		f.Add(s, "cluster.local.")
	}
	f.Fuzz(func(t *testing.T, qname, zone string) {
		n, ok := ParseServiceName(qname, zone)
		if !ok {
			return
		}
		if !IsDNS1035Label(n.Service) || !IsDNS1123Label(n.Namespace) || !IsDNS1123Label(n.Federation) {
			t.Fatalf("Invalid labels in %+v from %q", n, qname)
		}
		z := strings.ToLower(zone)
		if z == "." {
			z = ""
		}
		if again := n.Service + "." + n.Namespace + "." + n.Federation + ".svc." + z; again != strings.ToLower(qname) {
			t.Fatalf("%q parsed as %+v, which spells %q", qname, n, again)
		}
	})
}

// FuzzParseDomainName checks that a level name, once parsed, spells the
// question again with valid labels; that the apex and the name server are
// exactly those names; and that a name outside the domain is no level.
func FuzzParseDomainName(f *testing.F) {
	for _, s := range []string{
		"nginx.ns.myfed.svc.example.com.", "nginx.ns.myfed.svc.r.example.com.", "nginx.ns.myfed.svc.z.r.example.com.",
		"svc.example.com.", "ns.dns.example.com.", "example.com.", "a.b.c.d.e.f.g.example.com.",
	} {
		f.Add(s)
	}
	isFed := func(l string) bool { return l == "myfed" }
	f.Fuzz(func(t *testing.T, qname string) {
		z := ParseDomainName(qname, "example.com.", isFed)
		lower := strings.ToLower(qname)
		switch z.Kind {
		case Apex:
			if lower != "example.com." {
				t.Fatalf("%q parsed as the apex", qname)
			}
			return
		case NameServer:
			if lower != "ns.dns.example.com." {
				t.Fatalf("%q parsed as the name server", qname)
			}
			return
		case AtLevel:
		default:
			return
		}
		if !strings.HasSuffix(lower, ".example.com.") {
			t.Fatalf("%q outside the domain parsed as a level", qname)
		}
		if !IsDNS1035Label(z.Service.Service) || !IsDNS1123Label(z.Service.Namespace) || !isFed(z.Service.Federation) {
			t.Fatalf("%q parsed with invalid labels: %+v", qname, z)
		}
		for _, l := range []string{z.Zone, z.Region} {
			if l != "" && !IsDNS1123Label(l) {
				t.Fatalf("%q parsed with an invalid zone or region: %+v", qname, z)
			}
		}
		if again := z.Service.LevelName(z.Level, z.Zone, z.Region, "example.com."); again != strings.ToLower(qname) {
			t.Fatalf("%q parsed as %+v, which spells %q", qname, z, again)
		}
	})
}

// FuzzHierarchy builds shard sets from bytes and checks the hierarchy's
// invariants: the addresses at a level are exactly the ingress of the
// shards at that level, each once; a level without addresses defers to the
// level above (nearest from it is nearest from there); nearest from the
// zone is the first level, walking up, that has addresses.
func FuzzHierarchy(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 1}, byte(0), byte(0))
	f.Add([]byte{3, 1, 7}, byte(3), byte(1))
	f.Add([]byte{}, byte(2), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, zoneIndex, regionIndex byte) {
		var shards []PublishedShard
		for i := 0; i+2 < len(data) && len(shards) < 64; i += 3 {
			shards = append(shards, PublishedShard{
				Region:  string('a' + rune(data[i]%4)),
				Zones:   []string{string('a' + rune(data[i+1]%4))},
				Ingress: []netip.Addr{netip.AddrFrom4([4]byte{203, 0, 113, data[i+2]})},
			})
		}
		zone, region := string('a'+rune(zoneIndex%5)), string('a'+rune(regionIndex%5))
		want := LevelNone
		for l := LevelZone; l != LevelNone; l = l.Up() {
			addrs := Addresses(shards, l, zone, region)
			for _, a := range addrs {
				if !slices.ContainsFunc(shards, func(s PublishedShard) bool { return s.At(l, zone, region) && slices.Contains(s.Ingress, a) }) {
					t.Fatalf("Address %v at level %s belongs to no shard there", a, l)
				}
			}
			for _, s := range shards {
				for _, a := range s.Ingress {
					if s.At(l, zone, region) && !slices.Contains(addrs, a) {
						t.Fatalf("Address %v of a shard at level %s is missing from %v", a, l, addrs)
					}
				}
			}
			if len(slices.Compact(slices.Clone(addrs))) != len(addrs) {
				t.Fatalf("Addresses at level %s repeat: %v", l, addrs)
			}
			if len(addrs) == 0 && l != LevelGlobal && nearest(shards, l, zone, region) != nearest(shards, l.Up(), zone, region) {
				t.Fatalf("Level %s has no address but does not defer to %s", l, l.Up())
			}
			if len(addrs) > 0 && want == LevelNone {
				want = l
			}
		}
		if got := nearest(shards, LevelZone, zone, region); got != want {
			t.Fatalf("nearest is %s, but the first level with addresses is %s", got, want)
		}
		// Without a policy, Route is the default walk: the nearest level
		// with a shard, else the global level, not found.
		l, _, found := Route(shards, zone, region, nil, LevelNone)
		if found != (want != LevelNone) || (found && l != want) || (!found && l != LevelGlobal) {
			t.Fatalf("Route gives %s (found %v), but the first level with addresses is %s", l, found, want)
		}
	})
}

// FuzzParseClustersetName: a name parsed as a service or endpoint name is
// exactly the name its parts spell, in lower case.
func FuzzParseClustersetName(f *testing.F) {
	for _, s := range []string{
		"web.ns.svc.clusterset.local.", "_http._tcp.web.ns.svc.clusterset.local.", "db-0.east.reg.db.ns.svc.clusterset.local.",
		"dns-version.clusterset.local.", "east.db.ns.svc.clusterset.local.", "clusterset.local.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, qname string) {
		n := ParseClustersetName(qname, "clusterset.local.")
		var spelled string
		switch n.Kind {
		case ClustersetService:
			spelled = n.Port.Prefix() + n.Service + "." + n.Namespace + ".svc.clusterset.local."
		case ClustersetEndpoint:
			spelled = n.Host + "." + n.Cluster + "." + n.Service + "." + n.Namespace + ".svc.clusterset.local."
		default:
			return
		}
		if spelled != strings.ToLower(qname) {
			t.Fatalf("%q parsed as %+v, which spells %q", qname, n, spelled)
		}
	})
}
