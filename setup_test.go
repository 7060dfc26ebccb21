package federation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	fed "github.com/federated-dns/federation/federation"
	fedplugin "github.com/federated-dns/federation/plugin"
)

const kubeconfigYAML = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: secret}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`

func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfigYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParse(t *testing.T) {
	kc := writeKubeconfig(t)
	t.Setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1") // an in-cluster config to fall back to, wrongly
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	empty := filepath.Join(t.TempDir(), "empty")
	noServer := filepath.Join(t.TempDir(), "noserver")
	badCA := filepath.Join(t.TempDir(), "badca")
	other := writeKubeconfig(t)
	for path, text := range map[string]string{
		empty:    "",
		noServer: strings.Replace(kubeconfigYAML, `{server: "https://127.0.0.1:6443"}`, "{}", 1),
		badCA:    strings.Replace(kubeconfigYAML, `{server: "https://127.0.0.1:6443"}`, `{server: "https://127.0.0.1:6443", certificate-authority-data: "bm90IGEgY2VydGlmaWNhdGU="}`, 1),
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		input   string
		wantErr string // empty: no error
	}{
		{`federation cluster.local {
			myfed example.com
			kubeconfig ` + kc + `
		}`, ""},
		{`federation {
			kubeconfig ` + kc + ` ctx
			myfed example.com.
			other Other.Example.ORG
			node node-1
			zone us-central1-b
			region us-central1
			ttl 0
			grace 1m
			fallthrough
			explain
		}`, ""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nexplain yes\n}", "Testfile:4 - Error during parsing: Wrong argument count"},
		// Unknown property, missing or extra arguments.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nfoo bar baz\n}", "Testfile:4 - Error during parsing: unknown property 'foo'"},
		{"federation {\nkubeconfig " + kc + "\nmyfed\n}", "Testfile:3 - Error during parsing: unknown property 'myfed'"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl\n}", "Testfile:4 - Error during parsing: Wrong argument count"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl 1 2\n}", "Testfile:4 - Error during parsing: Wrong argument count"},
		{"federation {\nkubeconfig\nmyfed example.com\n}", "Testfile:2 - Error during parsing: Wrong argument count"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nnode\n}", "Wrong argument count"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nzone a b\n}", "Wrong argument count"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\ngrace\n}", "Wrong argument count"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember a\n}", "Wrong argument count"},
		// The removed federation plugin's upstream property.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nupstream\n}", "Testfile:4 - Error during parsing: unknown property 'upstream': CNAMEs are always chased now"},
		// A NAME that is not a DNS-1123 label.
		{"federation {\nkubeconfig " + kc + "\nMy_Fed example.com\n}", "Testfile:3 - Error during parsing: federation name \"My_Fed\" is not a DNS-1123 label"},
		// A DOMAIN that is not a hostname of two labels: also a mistyped property.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\ntll 60\n}", "Testfile:4 - Error during parsing: federation tll: domain \"60\" is not a hostname of at least two labels"},
		{"federation {\nkubeconfig " + kc + "\nmyfed com\n}", "is not a hostname of at least two labels"},
		{"federation {\nkubeconfig " + kc + "\nmyfed exa_mple.com\n}", "label \"exa_mple\" is not a DNS-1123 label"},
		// A duplicate NAME.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmyfed example.org\n}", "Testfile:4 - Error during parsing: federation myfed is declared twice"},
		// A NAME that is a property keyword.
		{"federation {\nkubeconfig " + kc + "\nttl example.com\n}", "'ttl' is a property keyword and cannot name a federation"},
		{"federation {\nkubeconfig " + kc + "\nzone example.com\n}", "'zone' is a property keyword and cannot name a federation"},
		{"federation {\nkubeconfig " + kc + "\ngrace example.com\n}", "'grace' is a property keyword and cannot name a federation"},
		// TTL and grace out of range.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl 3601\n}", "Testfile:4 - Error during parsing: ttl: ttl must be an integer in range [0, 3600]: 3601"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl -1\n}", "ttl must be an integer in range [0, 3600]"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl 1.5\n}", "ttl must be an integer in range [0, 3600]"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\ngrace 2h\n}", "grace must be a duration in range [0s, 1h]"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\ngrace 10\n}", "grace must be a duration in range [0s, 1h]"},
		// Zone and region must be DNS labels.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nzone us_central\n}", "zone: \"us_central\" is not a DNS label"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nregion a.b\n}", "region: \"a.b\" is not a DNS label"},
		// Unreadable kubeconfig, unknown context.
		{"federation {\nkubeconfig /nonexistent/kubeconfig\nmyfed example.com\n}", "Testfile:2 - Error during parsing: kubeconfig: kubeconfig /nonexistent/kubeconfig:"},
		{"federation {\nkubeconfig " + kc + " nosuchcontext\nmyfed example.com\n}", "nosuchcontext"},
		// No federation; members are the federation-zone issue's.
		{"federation {\nkubeconfig " + kc + "\n}", "no federation given"},
		// Members.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 " + kc + "\nmember c1 " + kc + "\n}", "Testfile:5 - Error during parsing: member c1: declared twice"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember local " + kc + "\n}", "member local: cluster name \"local\" is the local cluster's in metrics"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember C_1 " + kc + "\n}", "member C_1: cluster name is not a DNS-1123 label"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 /nonexistent\n}", "Testfile:4 - Error during parsing: member c1: kubeconfig /nonexistent:"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 " + kc + " nosuchcontext\n}", "nosuchcontext"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 " + kc + " ctx extra\n}", "Wrong argument count"},
		// The removed plugin's upstream with an address, caught as a domain of digits.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nupstream 8.8.8.8\n}", "Testfile:4 - Error during parsing: unknown property 'upstream'"},
		{"federation {\nkubeconfig " + kc + "\nmyfed 10.0.0.1\n}", "Testfile:3 - Error during parsing: federation myfed: domain \"10.0.0.1\" is not a hostname: its last label is all digits"},
		// Properties given twice.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nttl 5\nttl 6\n}", "Testfile:5 - Error during parsing: property 'ttl' is given twice"},
		{"federation {\nkubeconfig " + kc + "\nkubeconfig " + kc + "\nmyfed example.com\n}", "Testfile:3 - Error during parsing: property 'kubeconfig' is given twice"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nexplain\nexplain\n}", "property 'explain' is given twice"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\ngrace 1s\ngrace 2s\n}", "property 'grace' is given twice"},
		// Kubeconfigs that name no server: never the in-cluster config.
		{"federation {\nkubeconfig " + empty + "\nmyfed example.com\n}", "Testfile:2 - Error during parsing: kubeconfig: kubeconfig " + empty + ":"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 " + empty + "\n}", "Testfile:4 - Error during parsing: member c1: kubeconfig " + empty + ":"},
		// An empty path (an unset {$VAR}) is refused, never the in-cluster
		// configuration.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 \"\"\n}", "Testfile:4 - Error during parsing: member c1: empty kubeconfig path"},
		{"federation {\nkubeconfig \"\"\nmyfed example.com\n}", "Testfile:2 - Error during parsing: kubeconfig: empty kubeconfig path"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember c1 " + noServer + "\n}", "member c1: kubeconfig " + noServer + ":"},
		// The root zone, and domains overlapping a cluster zone.
		{"federation . {\nkubeconfig " + kc + "\nmyfed example.com\n}", "Testfile:1 - Error during parsing: the root zone cannot be a cluster zone"},
		{"federation cluster.local {\nkubeconfig " + kc + "\nmyfed fed.cluster.local\n}", "Testfile:3 - Error during parsing: federation myfed: domain fed.cluster.local lies in Kubernetes' cluster zone cluster.local."},
		// The cluster zone as a DOMAIN, with members too (served as the
		// federation zone, it would answer every in-cluster name NXDOMAIN).
		{"federation cluster.local {\nkubeconfig " + kc + "\nmyfed cluster.local\nmember a " + other + "\n}", "Testfile:3 - Error during parsing: federation myfed: domain cluster.local lies in Kubernetes' cluster zone"},
		{"federation {\nkubeconfig " + kc + "\nmyfed cluster.local\n}", "Testfile:3 - Error during parsing: federation myfed: domain cluster.local lies in Kubernetes' cluster zone"},
		// Certificate data that does not parse.
		{"federation {\nkubeconfig " + badCA + "\nmyfed example.com\n}", "Testfile:2 - Error during parsing: kubeconfig: kubeconfig " + badCA + ": unable to load root certificates"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember a " + badCA + "\n}", "Testfile:4 - Error during parsing: member a: kubeconfig " + badCA + ": unable to load root certificates"},
		// The local cluster as a member, twice.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember a local\nmember b local\n}", "Testfile:5 - Error during parsing: member b: the local cluster is member a already"},
		{"federation {\nmyfed example.com\nmember a " + kc + "\nmember b local\nkubeconfig " + kc + "\n}", "Testfile:3 - Error during parsing: member a reaches the local cluster, which is a member already"},
		{"federation svc.example.com {\nkubeconfig " + kc + "\nmyfed example.com\n}", "Testfile:3 - Error during parsing: federation myfed: domain example.com. overlaps the cluster zone svc.example.com."},
		// Which Services are shards (SPEC 9).
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices selector federation.example.com/myfed=true\n}", ""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices selector tier in (web,api)\n}", ""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices exported\n}", ""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices all\n}", ""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices selector in in in\n}", "Testfile:4 - Error during parsing: services: invalid selector \"in in in\""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices selector\n}", "Testfile:4 - Error during parsing: services: selector needs a label selector"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices some\n}", "services: unknown mode \"some\""},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices\n}", "services: expected all, selector SELECTOR or exported"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nservices all\nservices exported\n}", "property 'services' is given twice"},
		// Corefiles that look right and are not.
		{"federation cluster.local example.com {\nkubeconfig " + kc + "\nmyfed example.com\n}", "Testfile:1 - Error during parsing: example.com. is among the ZONES as a federation DOMAIN, but no member is listed"},
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\nmember a " + kc + "\nmember b " + kc + "\n}", "Testfile:5 - Error during parsing: member b: reaches the cluster of member a"},
		{"federation {\nkubeconfig " + kc + "\nmyfed " + strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 56) + ".com\n}", "is not a hostname of at least two labels"},
		// The clusterset names (SPEC 12).
		{"federation cluster.local clusterset.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed\n}", ""},
		{"federation cluster.local mcs.example.org {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed mcs.example.org\n}", ""},
		{"federation cluster.local clusterset.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset other\n}", "Testfile:4 - Error during parsing: clusterset: no federation is called \"other\""},
		{"federation cluster.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed\n}", "Testfile:4 - Error during parsing: clusterset: zone clusterset.local. is not among the plugin's zones"},
		{"federation cluster.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed cluster.local\n}", "clusterset: zone cluster.local. overlaps the cluster zone cluster.local."},
		{"federation cluster.local clusterset.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset\n}", "Testfile:4 - Error during parsing: Wrong argument count"},
		{"federation cluster.local clusterset.local fed.clusterset.local {\nkubeconfig " + kc + "\nmyfed fed.clusterset.local\nmember m " + kc + "\nclusterset myfed\n}", "Testfile:3 - Error during parsing: federation myfed: domain fed.clusterset.local. overlaps the cluster zone clusterset.local."},
		{"federation k8s.local mcs.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed local\n}", "clusterset: zone local. overlaps the cluster zone"},
		{"federation k8s.local mcs.k8s.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed mcs.k8s.local\n}", "clusterset: zone mcs.k8s.local. overlaps the cluster zone k8s.local."},
		{"federation cluster.local clusterset.local {\nkubeconfig " + kc + "\nmyfed example.com\nclusterset myfed\nclusterset myfed\n}", "property 'clusterset' is given twice"},
		// One block only.
		{"federation {\nkubeconfig " + kc + "\nmyfed example.com\n}\nfederation {\nkubeconfig " + kc + "\nmyfed example.com\n}", "this plugin"},
	}
	for i, tc := range tests {
		c := caddy.NewTestController("dns", tc.input)
		_, err := parse(c)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Test %d: expected no error, got %v", i, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("Test %d: expected error containing %q, got none", i, tc.wantErr)
		case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
			t.Errorf("Test %d: expected error containing %q, got %v", i, tc.wantErr, err)
		}
	}
}

func TestParseValues(t *testing.T) {
	kc := writeKubeconfig(t)
	t.Setenv("NODE_NAME", "from-env")
	c := caddy.NewTestController("dns", `federation cluster.local example.com {
		kubeconfig `+kc+`
		member m1 `+kc+`
		myfed Example.COM
		zone Z1
		ttl 60
		grace 5s
	}`)
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.answers
	if got := f.Federations["myfed"]; got != "example.com." {
		t.Errorf("Expected domain example.com., got %q", got)
	}
	// The federation's own domain is not a cluster zone.
	if len(f.Zones) != 1 || f.Zones[0] != "cluster.local." {
		t.Errorf("Expected zones [cluster.local.], got %v", f.Zones)
	}
	if f.TTL != 60 || cfg.grace != 5*time.Second || f.Node != "from-env" {
		t.Errorf("Expected ttl 60, grace 5s, node from-env; got %d %v %q", f.TTL, cfg.grace, f.Node)
	}
	if f.Topology != (fed.Topology{Zone: "z1"}) {
		t.Errorf("Expected topology zone z1, got %+v", f.Topology)
	}
	if cfg.local.rest.Host != "https://127.0.0.1:6443" {
		t.Errorf("Expected the kubeconfig's server, got %q", cfg.local.rest.Host)
	}
}

func TestParseDefaults(t *testing.T) {
	kc := writeKubeconfig(t)
	t.Setenv("NODE_NAME", "")
	c := caddy.NewTestController("dns", "federation {\nkubeconfig "+kc+"\nnode n1\nmyfed example.com\n}")
	c.ServerBlockKeys = []string{"cluster.local:53"}
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.answers.TTL != 5 || cfg.grace != 30*time.Second || cfg.answers.Node != "n1" { // SPEC 3.6: the kubernetes plugin's TTL
		t.Errorf("Expected ttl 5, grace 30s, node n1; got %d %v %q", cfg.answers.TTL, cfg.grace, cfg.answers.Node)
	}
	if len(cfg.answers.Zones) != 1 || cfg.answers.Zones[0] != "cluster.local." {
		t.Errorf("Expected the server block's zone, got %v", cfg.answers.Zones)
	}
}

func TestMembersShareWatches(t *testing.T) {
	kc := writeKubeconfig(t)
	other := writeKubeconfig(t)
	c := caddy.NewTestController("dns", `federation cluster.local example.com {
		kubeconfig `+kc+`
		myfed example.com
		member here `+kc+`
		member there `+other+` ctx
		grace 10s
	}`)
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	w, err := cfg.newWatchers()
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.answers
	if len(w.Members) != 2 || len(w.Watches) != 2 || !w.Members[0].Reads(w.Local.Watch()) || w.Members[1].Reads(w.Local.Watch()) {
		t.Fatalf("Expected the member with the local kubeconfig to share the local watch, got %+v", w)
	}
	if w.Members[1].Grace != 10*time.Second || w.Members[1].Name != "there" {
		t.Errorf("Expected member there with grace 10s, got %s %v", w.Members[1].Name, w.Members[1].Grace)
	}
	if len(f.Authority) != 1 || f.Authority[0] != "example.com." || len(f.Zones) != 1 || f.Zones[0] != "cluster.local." {
		t.Errorf("Expected authority for example.com. and cluster zone cluster.local., got %v %v", f.Authority, f.Zones)
	}
}

// TestLocalMember: member CLUSTER local reads the local cluster's watch,
// wherever the kubeconfig line is (SPEC 4.5.3).
func TestLocalMember(t *testing.T) {
	kc := writeKubeconfig(t)
	other := writeKubeconfig(t)
	c := caddy.NewTestController("dns", `federation cluster.local example.com {
		myfed example.com
		member here local
		member there `+other+`
		kubeconfig `+kc+`
	}`)
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	w, err := cfg.newWatchers()
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Members) != 2 || len(w.Watches) != 2 || !w.Members[0].Reads(w.Local.Watch()) || w.Members[1].Reads(w.Local.Watch()) {
		t.Fatalf("Expected member here to read the local watch and there its own, got %+v", w)
	}
}

func TestSetupNeedsAClusterConfig(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	c := caddy.NewTestController("dns", "federation {\nmyfed example.com\n}")
	err := setup(c)
	if err == nil || !strings.Contains(err.Error(), "plugin/federation: Testfile:3 - Error during parsing: no kubeconfig given and no in-cluster config") {
		t.Errorf("Expected a clear error without kubeconfig, got %v", err)
	}
}

// TestParseClusterset: the clusterset zone answers the MCS names, not
// federated names: it leaves the cluster zones (SPEC 12).
func TestParseClusterset(t *testing.T) {
	kc := writeKubeconfig(t)
	c := caddy.NewTestController("dns", "federation cluster.local clusterset.local {\nkubeconfig "+kc+"\nmyfed example.com\nclusterset myfed\n}")
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	want := fedplugin.Clusterset{Federation: "myfed", Zone: "clusterset.local."}
	if cfg.answers.Clusterset != want {
		t.Errorf("Expected clusterset %+v, got %+v", want, cfg.answers.Clusterset)
	}
	if !slices.Equal(cfg.answers.Zones, []string{"cluster.local."}) {
		t.Errorf("Expected the cluster zones [cluster.local.], got %v", cfg.answers.Zones)
	}
}
