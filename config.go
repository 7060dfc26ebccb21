package federation

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	fed "github.com/federated-dns/federation/federation"
	fedplugin "github.com/federated-dns/federation/plugin"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
)

// config is a parsed federation block.
type config struct {
	answers fedplugin.Config
	local   clusterConfig
	members []memberConfig
	grace   time.Duration
	// selector and exported say which Services are shards (services).
	selector string
	exported bool
	line     int // of the federation directive
	// clusterset holds the arguments of the clusterset property, nil
	// without it, and its line.
	clusterset     []string
	clustersetLine int
}

// clusterConfig is where a cluster's API is: a kubeconfig file and context,
// both empty for the in-cluster config.
type clusterConfig struct {
	kubeconfig, context string
	rest                *rest.Config
}

type memberConfig struct {
	name string
	// local: the member is the local cluster itself (member CLUSTER
	// local), read through the local cluster's watch (SPEC 4.5.3).
	local bool
	line  int // its line in the Corefile
	clusterConfig
}

// isLocal reports whether member m is the local cluster, named so or
// reached like it.
func (m memberConfig) isLocal(local clusterConfig) bool {
	return m.local || m.same(local)
}

// newWatchers creates the watches of the local cluster and of each member:
// a member reached like the local cluster shares its watch (two members
// never reach one cluster alike: addMember refuses it). Nothing is
// contacted until they start.
func (cfg *config) newWatchers() (fedplugin.Watchers, error) {
	var w fedplugin.Watchers
	newWatch := func(name string, cc clusterConfig, nodes fed.Nodes) (*fed.Cluster, error) {
		// With a selector, the Services and EndpointSlices that cross the
		// wire are few: compressing them would save little and costs each
		// of their watches a gzip reader. The members' Nodes (read by the
		// metadata client) are all read, and stay compressed; the local
		// cluster's are read in full, in protocol buffers (SPEC 5.3).
		client, err := fed.NewClient(cc.rest, "coredns/"+pluginName, cfg.selector == "")
		if err != nil {
			return nil, err
		}
		meta, err := fed.NewMetadataClient(cc.rest, "coredns/"+pluginName, true)
		if err != nil {
			return nil, err
		}
		opts := fed.Options{Selector: cfg.selector, Exported: cfg.exported, Metadata: meta}
		if cfg.answers.Clusterset.Zone != "" {
			// The clusterset names read every cluster's ServiceExports and
			// id, and the local cluster's ServiceImports (SPEC 12).
			opts.Clusterset, opts.Imports = true, name == fedplugin.LocalLabel
			if opts.Dynamic, err = fed.NewDynamicClient(cc.rest, "coredns/"+pluginName); err != nil {
				return nil, err
			}
		}
		c := fed.NewCluster(name, client, nodes, opts)
		w.Watches = append(w.Watches, c)
		return c, nil
	}
	// A local cluster that is also a member watches all its nodes.
	// Its nodes map each client to its zone (SPEC 5.3).
	localNodes := fed.Nodes{Name: cfg.answers.Node, Clients: true}
	for _, m := range cfg.members {
		if m.isLocal(cfg.local) {
			localNodes.All = true
		}
	}
	local, err := newWatch(fedplugin.LocalLabel, cfg.local, localNodes)
	if err != nil {
		return w, err
	}
	w.Local = fed.NewLocalCluster(local)
	for _, m := range cfg.members {
		c := local
		if !m.isLocal(cfg.local) {
			if c, err = newWatch(m.name, m.clusterConfig, fed.Nodes{All: true}); err != nil {
				return w, err
			}
		}
		w.Members = append(w.Members, fed.NewMember(m.name, c, cfg.grace))
	}
	return w, nil
}

// same reports whether cc and o reach one cluster alike: one kubeconfig
// file and context (the in-cluster configuration has no path, and is the
// local cluster's alone).
func (cc clusterConfig) same(o clusterConfig) bool {
	return cc.kubeconfig != "" && cc.kubeconfig == o.kubeconfig && cc.context == o.context
}

// restConfig loads a cluster's client configuration; README's test stands
// in for it, as README's examples name files of a real cluster.
var restConfig = fed.RESTConfig

// loadCluster reads the client configuration of KUBECONFIG [CONTEXT], or the
// in-cluster one without arguments.
func loadCluster(args []string) (clusterConfig, error) {
	var cc clusterConfig
	if len(args) > 0 {
		if args[0] == "" {
			// {$VAR} of an unset variable, or "": never the in-cluster
			// configuration in its place (SPEC 6.2).
			return cc, errors.New("empty kubeconfig path (an unset environment variable?)")
		}
		cc.kubeconfig = args[0]
	}
	if len(args) > 1 {
		cc.context = args[1]
	}
	var err error
	cc.rest, err = restConfig(cc.kubeconfig, cc.context)
	return cc, err
}

// addMember adds the member CLUSTER KUBECONFIG [CONTEXT], or CLUSTER local,
// given on line.
func (cfg *config) addMember(args []string, line int) error {
	name := args[0]
	if !fed.IsDNS1123Label(name) {
		return errors.New("cluster name is not a DNS-1123 label")
	}
	if name == fedplugin.LocalLabel {
		return fmt.Errorf("cluster name %q is the local cluster's in metrics", name)
	}
	for _, m := range cfg.members {
		if m.name == name {
			return errors.New("declared twice")
		}
	}
	if len(args) == 2 && args[1] == fedplugin.LocalLabel {
		for _, m := range cfg.members {
			if m.local {
				return fmt.Errorf("the local cluster is member %s already: its shards would count twice", m.name)
			}
		}
		cfg.members = append(cfg.members, memberConfig{name: name, local: true, line: line})
		return nil
	}
	cc, err := loadCluster(args[1:])
	if err != nil {
		return err
	}
	for _, m := range cfg.members {
		if m.same(cc) {
			return fmt.Errorf("reaches the cluster of member %s (same kubeconfig and context): its shards would count twice", m.name)
		}
	}
	cfg.members = append(cfg.members, memberConfig{name: name, line: line, clusterConfig: cc})
	return nil
}

// twiceLocal returns a member that reaches the local cluster like the
// member named local does, once the local cluster's kubeconfig is known:
// its shards would count twice.
func (cfg *config) twiceLocal() (memberConfig, bool) {
	if !slices.ContainsFunc(cfg.members, func(m memberConfig) bool { return m.local }) {
		return memberConfig{}, false
	}
	i := slices.IndexFunc(cfg.members, func(m memberConfig) bool { return !m.local && m.same(cfg.local) })
	if i < 0 {
		return memberConfig{}, false
	}
	return cfg.members[i], true
}

// parseServices reads `services all | selector SELECTOR | exported` (SPEC
// 9). A selector may hold spaces (`tier in (web,api)`): its words are
// joined again.
func (cfg *config) parseServices(args []string) error {
	if len(args) == 0 {
		return errors.New("expected all, selector SELECTOR or exported")
	}
	switch args[0] {
	case "all":
		if len(args) != 1 {
			return errors.New("all takes no argument")
		}
	case "exported":
		if len(args) != 1 {
			return errors.New("exported takes no argument")
		}
		cfg.exported = true
	case "selector":
		sel := strings.Join(args[1:], " ")
		if sel == "" {
			return errors.New("selector needs a label selector")
		}
		parsed, err := labels.Parse(sel)
		if err != nil {
			return fmt.Errorf("invalid selector %q: %w", sel, err)
		}
		if parsed.Empty() {
			return fmt.Errorf("selector %q selects everything: use services all", sel)
		}
		cfg.selector = parsed.String()
	default:
		return fmt.Errorf("unknown mode %q: expected all, selector SELECTOR or exported", args[0])
	}
	return nil
}
