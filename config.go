package federation

import (
	"errors"
	"fmt"
	"time"

	fed "github.com/federated-dns/federation/federation"
	fedplugin "github.com/federated-dns/federation/plugin"

	"k8s.io/client-go/rest"
)

// config is a parsed federation block.
type config struct {
	plugin  *fedplugin.Federation
	local   clusterConfig
	members []memberConfig
	node    string
	grace   time.Duration
}

// clusterConfig is where a cluster's API is: a kubeconfig file and context,
// both empty for the in-cluster config.
type clusterConfig struct {
	kubeconfig, context string
	rest                *rest.Config
}

type memberConfig struct {
	name string
	clusterConfig
}

// watch creates the cluster watchers: the local cluster's and one per member,
// shared where a member is reached through the same kubeconfig and context
// as the local cluster (or another member). Nothing is contacted yet.
func (cfg *config) watch() error {
	f := cfg.plugin
	clusters := map[[2]string]*fed.Cluster{}
	cluster := func(name string, cc clusterConfig, nodes fed.Nodes) (*fed.Cluster, error) {
		key := [2]string{cc.kubeconfig, cc.context}
		if c, ok := clusters[key]; ok && cc.kubeconfig != "" {
			return c, nil
		}
		client, err := fed.NewClient(cc.rest, "coredns/"+pluginName)
		if err != nil {
			return nil, err
		}
		c := fed.NewCluster(name, client, nodes)
		clusters[key] = c
		return c, nil
	}
	// A local cluster that is also a member watches all its nodes.
	localNodes := fed.Nodes{Name: cfg.node}
	for _, m := range cfg.members {
		if m.kubeconfig != "" && m.kubeconfig == cfg.local.kubeconfig && m.context == cfg.local.context {
			localNodes.All = true
		}
	}
	var err error
	if f.Local, err = cluster(fedplugin.LocalCluster, cfg.local, localNodes); err != nil {
		return err
	}
	f.Node = cfg.node
	for _, m := range cfg.members {
		c, err := cluster(m.name, m.clusterConfig, fed.Nodes{All: true})
		if err != nil {
			return err
		}
		f.Members = append(f.Members, &fed.Member{Name: m.name, Cluster: c, Grace: cfg.grace})
	}
	return nil
}

// loadCluster reads the client configuration of KUBECONFIG [CONTEXT], or the
// in-cluster one without arguments.
func loadCluster(args []string) (clusterConfig, error) {
	var cc clusterConfig
	if len(args) > 0 {
		cc.kubeconfig = args[0]
	}
	if len(args) > 1 {
		cc.context = args[1]
	}
	var err error
	cc.rest, err = fed.RESTConfig(cc.kubeconfig, cc.context)
	return cc, err
}

// addMember adds the member CLUSTER KUBECONFIG [CONTEXT].
func (cfg *config) addMember(args []string) error {
	name := args[0]
	if !fed.IsDNS1123Label(name) {
		return errors.New("cluster name is not a DNS-1123 label")
	}
	if name == fedplugin.LocalCluster {
		return fmt.Errorf("cluster name %q is the local cluster's in metrics", name)
	}
	for _, m := range cfg.members {
		if m.name == name {
			return errors.New("declared twice")
		}
	}
	cc, err := loadCluster(args[1:])
	if err != nil {
		return err
	}
	cfg.members = append(cfg.members, memberConfig{name: name, clusterConfig: cc})
	return nil
}
