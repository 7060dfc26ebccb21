package federation

import (
	"testing"

	coreplugin "github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/dnssec"
)

// TestDnssecBehind: a dnssec plugin that signs one of the plugin's zones
// must come before it in the chain (SPEC 13.3).
func TestDnssecBehind(t *testing.T) {
	d := dnssec.New([]string{"example.com."}, nil, false, nil, nil)
	handler := func(name string) coreplugin.Handler {
		if name == "dnssec" {
			return d // as CoreDNS registers it: a value
		}
		return nil
	}
	none := func(string) coreplugin.Handler { return nil }
	zones := []string{"cluster.local.", "example.com."}
	for _, tc := range []struct {
		name       string
		directives []string
		handler    func(string) coreplugin.Handler
		want       string
	}{
		{"dnssec after the plugin", []string{"federation", "cache", "dnssec"}, handler, "example.com."},
		{"dnssec before the plugin", []string{"dnssec", "federation", "cache"}, handler, ""},
		{"no dnssec in the server", []string{"federation", "cache", "dnssec"}, none, ""},
	} {
		z, behind := dnssecBehind(tc.handler, tc.directives, zones)
		if z != tc.want || behind != (tc.want != "") {
			t.Errorf("%s: expected %q, got %q %v", tc.name, tc.want, z, behind)
		}
	}
	if _, behind := dnssecBehind(handler, []string{"federation", "dnssec"}, []string{"cluster.local."}); behind {
		t.Error("Expected a dnssec that signs none of the plugin's zones to be allowed anywhere")
	}
}
