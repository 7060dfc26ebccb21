package federation

import (
	"errors"
	"fmt"
	"strings"
)

// Node labels that carry a node's zone and region, newest first (SPEC 5.1).
var (
	ZoneLabels   = []string{"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"}
	RegionLabels = []string{"topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"}
)

// Topology is where a cluster sits: its zone and region as DNS labels.
type Topology struct {
	Zone   string
	Region string
}

// TopologyFromLabels reads zone and region from a node's labels, each on
// its own. A value that is absent is left empty; one that is not a DNS label
// is left empty too and reported in the error, so it never goes into a name
// (SPEC 5.2) and never costs the other one.
func TopologyFromLabels(labels map[string]string) (Topology, error) {
	zone, zoneErr := labelValue(labels, ZoneLabels)
	region, regionErr := labelValue(labels, RegionLabels)
	return Topology{Zone: zone, Region: region}, errors.Join(zoneErr, regionErr)
}

func labelValue(labels map[string]string, keys []string) (string, error) {
	for _, k := range keys {
		v, ok := labels[k]
		if !ok || v == "" {
			continue
		}
		l := strings.ToLower(v)
		if !IsDNS1123Label(l) {
			return "", fmt.Errorf("node label %s=%q is not a DNS label", k, v)
		}
		return l, nil
	}
	return "", nil
}
