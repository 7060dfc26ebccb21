package plugin

import (
	"sync"

	coreplugin "github.com/coredns/coredns/plugin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// resolutions counts federated questions by how they were answered.
	resolutions = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: coreplugin.Namespace,
		Subsystem: PluginName,
		Name:      "resolutions_total",
		Help:      "Counter of federated questions by federation and the level that answered: local, zone, region, global, or none (SERVFAIL).",
	}, []string{"server", "federation", "level"})

	// clusterSynced is 1 while a cluster's caches are synced and its API answers.
	clusterSynced = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: coreplugin.Namespace,
		Subsystem: PluginName,
		Name:      "cluster_synced",
		Help:      "1 when the cluster's caches are synced and its API reachable, else 0.",
	}, []string{"cluster"})

	// healthyShards counts each member's published shards.
	healthyShards = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: coreplugin.Namespace,
		Subsystem: PluginName,
		Name:      "healthy_shards",
		Help:      "Healthy shards (LoadBalancer services with ingress IPs and ready endpoints) per member cluster; 0 once its API has been unreachable for the grace period.",
	}, []string{"cluster"})

	// clientZones counts the federated questions answered with a CNAME
	// by whether the asking client's zone was known from its node.
	clientZones = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: coreplugin.Namespace,
		Subsystem: PluginName,
		Name:      "client_zones_total",
		Help:      "Counter of federated questions answered with a CNAME, by whether the walk started at the asking client's zone (known: true, from the node of its address) or at the local topology (false).",
	}, []string{"server", "known"})
)

// Levels of an answer, the values of the level label.
const (
	levelLocal = "local"
	levelNone  = "none"
)

// UpdateSynced sets the cluster_synced gauge of a cluster.
func UpdateSynced(cluster string, synced bool) {
	v := 0.0
	if synced {
		v = 1
	}
	clusterSynced.WithLabelValues(cluster).Set(v)
}

// clusterSeries counts, per cluster label, the running plugin instances that
// report on it. A reload starts the new instance before it stops the old one,
// so a cluster kept by the reload keeps its series, and a member removed by
// it loses them (SPEC 7).
var clusterSeries = struct {
	sync.Mutex
	held map[string]int
}{held: map[string]int{}}

func holdSeries(clusters []string) {
	clusterSeries.Lock()
	defer clusterSeries.Unlock()
	for _, c := range clusters {
		clusterSeries.held[c]++
	}
}

func releaseSeries(clusters []string) {
	clusterSeries.Lock()
	defer clusterSeries.Unlock()
	for _, c := range clusters {
		if clusterSeries.held[c] == 0 {
			continue // never held: Stop without Start
		}
		if clusterSeries.held[c]--; clusterSeries.held[c] > 0 {
			continue
		}
		delete(clusterSeries.held, c)
		clusterSynced.DeleteLabelValues(c)
		healthyShards.DeleteLabelValues(c)
	}
}
