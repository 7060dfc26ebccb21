//go:build e2e

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/federated-dns/federation/test/testbed"
)

// TestCacheBeforePluginRefused: a build whose chain puts cache before the
// plugin (plugin.cfg's order, the plugin listed above kubernetes) refuses a
// server block whose cache would hold the plugin's answers, with the line
// and the reason; a cache that excludes the plugin's zones is accepted, and
// so is any cache in cmd/coredns, which puts the plugin before it (SPEC
// 6.3).
func TestCacheBeforePluginRefused(t *testing.T) {
	pluginCfg := os.Getenv("FEDERATION_COREDNS_PLUGINCFG")
	if pluginCfg == "" {
		t.Fatal("FEDERATION_COREDNS_PLUGINCFG must name CoreDNS built with -tags plugincfg: run `make e2e`")
	}
	kc := bed.Cluster(localCluster).Kubeconfig
	block := func(cache string) string {
		return fmt.Sprintf(".:0 {\n\t%s\n\tfederation cluster.local example.com {\n\t\tmyfederation example.com\n\t\tkubeconfig %s\n\t\tnode %s\n\t\tmember east local\n\t}\n}\n", cache, kc, testbed.Node)
	}
	conf := filepath.Join(t.TempDir(), "Corefile")
	expectRefusalBy(t, pluginCfg, conf, block("cache 30"), 3, "cache comes before federation in this build's plugin chain and would hold its answers for cluster.local.")
	expectRefusalBy(t, pluginCfg, conf, block("cache 30 {\n\t\tdisable success cluster.local\n\t\tdisable denial cluster.local\n\t}"), 6, "would hold its answers for example.com.")

	excluded := "cache 30 {\n\t\tdisable success cluster.local example.com\n\t\tdisable denial cluster.local example.com\n\t}"
	for _, build := range []struct{ name, path, cache string }{
		{"plugin.cfg order, zones excluded", pluginCfg, excluded},
		{"cmd/coredns", coredns, "cache 30"},
	} {
		host := newHost()
		dir := t.TempDir()
		c, err := testbed.StartCoreDNS(build.path, dir, host+":53", fmt.Sprintf(".:53 {\n\tbind %s\n\t%s\n\tfederation cluster.local example.com {\n\t\tmyfederation example.com\n\t\tkubeconfig %s\n\t\tnode %s\n\t\tmember east local\n\t}\n}\n", host, build.cache, kc, testbed.Node))
		if err != nil {
			t.Fatalf("%s: %v", build.name, err)
		}
		s := &server{CoreDNS: c}
		s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service)))
		c.Stop()
	}
}
