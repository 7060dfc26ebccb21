package plugin

import "testing"

func TestMatchZone(t *testing.T) {
	zones := []string{"cluster.local.", "local.", "example.com."}
	tests := []struct{ qname, want string }{
		{"a.b.cluster.local.", "cluster.local."},
		{"cluster.local.", "cluster.local."},
		{"other.local.", "local."},
		{"xcluster.local.", "local."},
		{"a.example.com.", "example.com."},
		{"example.org.", ""},
		{"com.", ""},
		{`a\.cluster.local.`, "local."},          // the label "a.cluster" under local.
		{`a\\.cluster.local.`, "cluster.local."}, // a backslash, then a real dot
	}
	for i, tc := range tests {
		if got := matchZone(zones, tc.qname); got != tc.want {
			t.Errorf("Test %d, %s: expected %q, got %q", i, tc.qname, tc.want, got)
		}
	}
	if got := matchZone([]string{"."}, "a.b."); got != "." {
		t.Errorf("Expected the root zone to hold every name, got %q", got)
	}
}
