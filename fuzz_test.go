package federation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	coreplugin "github.com/coredns/coredns/plugin"
	fed "github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the federation block's parser.
// It must never panic; what it refuses it refuses with the line of the
// mistake; what it accepts is a valid configuration: federation names are
// DNS labels, domains lower-case hostnames, the TTL and grace in range, no
// cluster zone the root or overlapping a domain. The seeds include valid
// blocks (they name a real kubeconfig), so the fuzzer starts from both
// sides.
func FuzzParse(f *testing.F) {
	kc := filepath.Join(f.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(kubeconfigYAML), 0o600); err != nil {
		f.Fatal(err)
	}
	valid := []string{
		"federation cluster.local {\nmyfed example.com\nkubeconfig " + kc + "\n}",
		"federation cluster.local example.com {\nmyfed example.com\nkubeconfig " + kc + "\nmember m1 " + kc + " ctx\nttl 60\ngrace 5s\nzone z\nregion r\nnode n\nfallthrough\nexplain\n}",
	}
	for _, s := range valid {
		if _, err := parse(caddy.NewTestController("dns", s)); err != nil {
			f.Fatalf("Seed %q must parse: %v", s, err)
		}
		f.Add(s)
	}
	for _, s := range []string{
		"federation {\nttl example.com\n}",
		"federation {\nmember a b c d\n}",
		"federation {\n}\nfederation {\n}",
		"federation . {\nmyfed example.com\nkubeconfig " + kc + "\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		cfg, err := parse(caddy.NewTestController("dns", input))
		if err != nil {
			if !strings.Contains(err.Error(), "Testfile:") && !errors.Is(err, coreplugin.ErrOnce) {
				t.Fatalf("Refusal without a line: %v", err)
			}
			return
		}
		if cfg == nil {
			return // no federation block at all
		}
		p := cfg.answers
		if len(p.Federations) == 0 || p.TTL > 3600 || cfg.grace < 0 {
			t.Fatalf("Accepted an invalid block: %+v", cfg)
		}
		for name, domain := range p.Federations {
			if !fed.IsDNS1123Label(name) || domain != strings.ToLower(domain) || !dns.IsFqdn(domain) || dns.CountLabel(domain) < 2 {
				t.Fatalf("Accepted federation %q %q", name, domain)
			}
			for _, z := range p.Zones {
				if z == "." || dns.IsSubDomain(z, domain) || dns.IsSubDomain(domain, z) {
					t.Fatalf("Accepted cluster zone %q with domain %q", z, domain)
				}
			}
		}
	})
}
