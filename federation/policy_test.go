package federation

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		annotations map[string]string
		want        Policy
		errs        int
	}{
		{nil, Policy{}, 0},
		{map[string]string{AnnotationMinReady: "3"}, Policy{MinReady: 3}, 0},
		{map[string]string{AnnotationPreferRegions: "Europe-West1, us-east1"}, Policy{PreferRegions: []string{"europe-west1", "us-east1"}}, 0},
		{map[string]string{AnnotationScope: "region"}, Policy{Scope: LevelRegion}, 0},
		{map[string]string{AnnotationMinReady: "2", AnnotationPreferRegions: "r2", AnnotationScope: "zone"}, Policy{MinReady: 2, PreferRegions: []string{"r2"}, Scope: LevelZone}, 0},
		// Values that do not parse are left out: the default applies.
		{map[string]string{AnnotationMinReady: "three"}, Policy{}, 1},
		{map[string]string{AnnotationMinReady: "0"}, Policy{}, 1},
		{map[string]string{AnnotationPreferRegions: "r1,not a region"}, Policy{}, 1},
		{map[string]string{AnnotationScope: "continent"}, Policy{}, 1},
		{map[string]string{AnnotationScope: "continent", AnnotationMinReady: "2"}, Policy{MinReady: 2}, 1},
		// Bounded, as tenants write them.
		{map[string]string{AnnotationPreferRegions: strings.Repeat("r,", 9) + "r"}, Policy{}, 1},
		{map[string]string{AnnotationScope: "region" + strings.Repeat(" ", 300)}, Policy{}, 1},
	} {
		got, errs := ParsePolicy(tc.annotations)
		if got.MinReady != tc.want.MinReady || got.Scope != tc.want.Scope || !slices.Equal(got.PreferRegions, tc.want.PreferRegions) || len(errs) != tc.errs {
			t.Errorf("%v: expected %+v with %d errors, got %+v %v", tc.annotations, tc.want, tc.errs, got, errs)
		}
	}
}

// TestRoute: where the in-cluster CNAME points, for each annotation alone
// and combined (SPEC 10), from zone z1 of region r1.
func TestRoute(t *testing.T) {
	at := func(region, zone string) PublishedShard {
		return PublishedShard{Region: region, Zones: []string{zone}, Ingress: ips("203.0.113.1")}
	}
	for _, tc := range []struct {
		name   string
		shards []PublishedShard
		prefer []string
		scope  Level
		level  Level
		region string
	}{
		{"the zone first", []PublishedShard{at("r1", "z1"), at("r2", "z3")}, nil, LevelNone, LevelZone, "r1"},
		{"then the region", []PublishedShard{at("r1", "z2"), at("r2", "z3")}, nil, LevelNone, LevelRegion, "r1"},
		{"then global", []PublishedShard{at("r2", "z3")}, nil, LevelNone, LevelGlobal, "r1"},
		{"nowhere: global", nil, nil, LevelNone, LevelGlobal, "r1"},
		{"a preferred region before global", []PublishedShard{at("r2", "z3"), at("r3", "z4")}, []string{"r3", "r2"}, LevelNone, LevelRegion, "r3"},
		{"a preferred region without a shard is passed over", []PublishedShard{at("r2", "z3")}, []string{"r3", "r2"}, LevelNone, LevelRegion, "r2"},
		{"no preferred region with a shard: global", []PublishedShard{at("r4", "z5")}, []string{"r3", "r2"}, LevelNone, LevelGlobal, "r1"},
		{"the own region beats a preference", []PublishedShard{at("r1", "z2"), at("r3", "z4")}, []string{"r3"}, LevelNone, LevelRegion, "r1"},
		{"scope region: never global", []PublishedShard{at("r2", "z3")}, nil, LevelRegion, LevelRegion, "r1"},
		{"scope region: no preferred region either", []PublishedShard{at("r2", "z3")}, []string{"r2"}, LevelRegion, LevelRegion, "r1"},
		{"scope zone: the zone, which has none", []PublishedShard{at("r1", "z2")}, nil, LevelZone, LevelZone, "r1"},
		{"scope global is the default walk", []PublishedShard{at("r2", "z3")}, nil, LevelGlobal, LevelGlobal, "r1"},
	} {
		level, region, found := Route(tc.shards, "z1", "r1", tc.prefer, tc.scope)
		if found != hasShard(tc.shards, level, "z1", region) {
			t.Errorf("%s: found %v at %s in %s", tc.name, found, level, region)
		}
		if level != tc.level || region != tc.region {
			t.Errorf("%s: expected %s in %s, got %s in %s", tc.name, tc.level, tc.region, level, region)
		}
	}
	// Shards that disagree on scope: the narrowest wins.
	for _, tc := range [][3]Level{{LevelNone, LevelRegion, LevelRegion}, {LevelGlobal, LevelRegion, LevelRegion}, {LevelZone, LevelRegion, LevelZone}, {LevelNone, LevelNone, LevelNone}} {
		if got := Narrowest(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Expected the narrower of %s and %s to be %s, got %s", tc[0], tc[1], tc[2], got)
		}
	}
}

// TestMinReady: a shard with a min-ready annotation counts as healthy, and
// is published, only once that many endpoints are ready, one by one.
func TestMinReady(t *testing.T) {
	svc := loadBalancer("web", "203.0.113.1")
	svc.Annotations = map[string]string{AnnotationMinReady: "3", "unrelated": "dropped"}
	client := fake.NewClientset(svc, labelledNode("n1", "z1", "r1"))
	c := NewCluster("test", client, Nodes{All: true}, Options{})
	c.Start(nil)
	t.Cleanup(c.Stop)
	if !c.WaitForSync(5 * time.Second) {
		t.Fatal("Caches did not sync")
	}
	if got := c.service("ns", "web").policy; got.MinReady != 3 {
		t.Errorf("Expected the cache to keep min-ready 3, got %+v", got)
	}
	eps := make([]discoveryv1.Endpoint, 0, 3)
	for i, addr := range []string{"10.1.0.1", "10.1.0.2", "10.1.0.3"} {
		eps = append(eps, zonedEndpoint(addr, true, "n1", ""))
		es := zonedSlice("web", eps...)
		var err error
		if i == 0 {
			_, err = client.DiscoveryV1().EndpointSlices("ns").Create(context.Background(), es, metav1.CreateOptions{})
		} else {
			_, err = client.DiscoveryV1().EndpointSlices("ns").Update(context.Background(), es, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		n := i + 1
		eventually(t, "the slice", func() bool {
			s := c.endpointSlices("ns", "web")
			return len(s) == 1 && s[0].ready == n
		})
		_, published := c.PublishedShard("ns", "web")
		if healthy := c.Shard("ns", "web").Healthy; healthy != (n >= 3) || published != (n >= 3) {
			t.Errorf("%d ready of min-ready 3: healthy %v, published %v", n, healthy, published)
		}
	}
	// A value that does not parse is ignored: the default, one ready endpoint.
	bad := loadBalancer("lax", "203.0.113.2")
	bad.Annotations = map[string]string{AnnotationMinReady: "many"}
	if _, err := client.CoreV1().Services("ns").Create(context.Background(), bad, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Create(context.Background(), zonedSlice("lax", zonedEndpoint("10.1.0.9", true, "n1", "")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lax service healthy", func() bool { return c.Shard("ns", "lax").Healthy })
}
