package federation

import "testing"

func TestParseName(t *testing.T) {
	tests := []struct {
		qname, zone string
		want        ServiceName
		ok          bool
	}{
		{"nginx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{"nginx", "mynamespace", "myfed"}, true},
		{"NGINX.MyNamespace.MyFed.SVC.Cluster.Local.", "cluster.local.", ServiceName{"nginx", "mynamespace", "myfed"}, true},
		{"nginx.mynamespace.myfed.svc.cluster.local.", "CLUSTER.LOCAL.", ServiceName{"nginx", "mynamespace", "myfed"}, true},
		{"a.b.c.svc.", ".", ServiceName{"a", "b", "c"}, true},
		{"a-1.0ns.f-2.svc.cluster.local.", "cluster.local.", ServiceName{"a-1", "0ns", "f-2"}, true},
		// Not four labels before the zone.
		{"myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"cluster.local.", "cluster.local.", ServiceName{}, false},
		{"mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"x.nginx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"_http._tcp.nginx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		// The fourth label is not svc.
		{"nginx.mynamespace.myfed.pod.cluster.local.", "cluster.local.", ServiceName{}, false},
		// Not under the zone, or the zone not at a label boundary.
		{"nginx.mynamespace.myfed.svc.example.org.", "cluster.local.", ServiceName{}, false},
		{"nginx.mynamespace.myfed.svc.xcluster.local.", "cluster.local.", ServiceName{}, false},
		// Invalid labels.
		{"1nginx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"-nginx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"nginx.my_namespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"nginx.mynamespace-.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"nginx.mynamespace.my\\.fed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"ngi\\120nx.mynamespace.myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"nginx..myfed.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
		{"a234567890123456789012345678901234567890123456789012345678901234.ns.f.svc.cluster.local.", "cluster.local.", ServiceName{}, false},
	}
	for i, tc := range tests {
		got, ok := ParseServiceName(tc.qname, tc.zone)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Test %d, %s in %s: expected %+v %v, got %+v %v", i, tc.qname, tc.zone, tc.want, tc.ok, got, ok)
		}
	}
}

func TestLevelName(t *testing.T) {
	n := ServiceName{"nginx", "mynamespace", "myfed"}
	tests := []struct {
		level                      Level
		zone, region, domain, want string
	}{
		{LevelZone, "us-central1-b", "us-central1", "example.com.", "nginx.mynamespace.myfed.svc.us-central1-b.us-central1.example.com."},
		{LevelRegion, "us-central1-b", "us-central1", "Example.COM", "nginx.mynamespace.myfed.svc.us-central1.example.com."},
		{LevelGlobal, "us-central1-b", "us-central1", "example.com.", "nginx.mynamespace.myfed.svc.example.com."},
	}
	for i, tc := range tests {
		if got := n.LevelName(tc.level, tc.zone, tc.region, tc.domain); got != tc.want {
			t.Errorf("Test %d: expected %s, got %s", i, tc.want, got)
		}
	}
}

func TestIsDNS1123Label(t *testing.T) {
	for _, s := range []string{"a", "0", "a-b", "abc123", "a234567890123456789012345678901234567890123456789012345678901ab"} {
		if !IsDNS1123Label(s) {
			t.Errorf("Expected %q to be a label", s)
		}
	}
	for _, s := range []string{"", "-a", "a-", "A", "a_b", "a.b", "a b", "a234567890123456789012345678901234567890123456789012345678901abc"} {
		if IsDNS1123Label(s) {
			t.Errorf("Expected %q not to be a label", s)
		}
	}
	if IsDNS1035Label("0a") || !IsDNS1035Label("a0") {
		t.Error("Expected DNS-1035 labels to start with a letter")
	}
}
