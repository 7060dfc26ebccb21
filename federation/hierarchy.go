package federation

import (
	"net/netip"
	"slices"
)

// Level is a level of the federation zone: where an answer comes from.
type Level int

const (
	// LevelNone is no level: nothing to answer with.
	LevelNone Level = iota
	// LevelGlobal is <service>.<namespace>.<federation>.svc.<domain>.
	LevelGlobal
	// LevelRegion is <service>.<namespace>.<federation>.svc.<region>.<domain>.
	LevelRegion
	// LevelZone is <service>.<namespace>.<federation>.svc.<zone>.<region>.<domain>.
	LevelZone
)

func (l Level) String() string {
	switch l {
	case LevelZone:
		return "zone"
	case LevelRegion:
		return "region"
	case LevelGlobal:
		return "global"
	}
	return "none"
}

// Up returns the level above l: zone to region, region to global.
func (l Level) Up() Level {
	if l > LevelGlobal {
		return l - 1
	}
	return LevelNone
}

// PublishedShard is a healthy shard of a federated service in a member
// cluster: a LoadBalancer Service with ingress IPs and ready endpoints (SPEC
// 4.2).
type PublishedShard struct {
	Cluster string
	Region  string
	// Zones are the zones of the shard's ready endpoints; a multi-zone
	// cluster counts in each.
	Zones []string
	// Ingress holds the LoadBalancer ingress IPs.
	Ingress []netip.Addr
	// Hostnames holds the LoadBalancer ingress hostnames (AWS load
	// balancers publish only these), lower-case and fully qualified; their
	// addresses are resolved off the query path (SPEC 4.2.1).
	Hostnames []string
	// Ports are the Service's ports, for SRV at the levels (SPEC 12.1).
	Ports []Port
}

// At reports whether the shard counts at level l of zone and region.
func (s PublishedShard) At(l Level, zone, region string) bool {
	switch l {
	case LevelZone:
		return s.Region == region && slices.Contains(s.Zones, zone)
	case LevelRegion:
		return s.Region == region
	case LevelGlobal:
		return true
	}
	return false
}

// Addresses returns the distinct ingress IPs of the shards at level l of zone
// and region (SPEC 4.3), sorted so answers are stable.
func Addresses(shards []PublishedShard, l Level, zone, region string) []netip.Addr {
	var addrs []netip.Addr
	for _, s := range shards {
		if s.At(l, zone, region) {
			addrs = append(addrs, s.Ingress...)
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs)
}

// hasShard reports whether one of shards counts at level l of zone and region.
func hasShard(shards []PublishedShard, l Level, zone, region string) bool {
	for _, s := range shards {
		if s.At(l, zone, region) {
			return true
		}
	}
	return false
}

// Ports returns the ports of the shards at level l of zone and region,
// each once (SPEC 12.1).
func Ports(shards []PublishedShard, l Level, zone, region string) []Port {
	var ports [][]Port
	for _, s := range shards {
		if s.At(l, zone, region) {
			ports = append(ports, s.Ports)
		}
	}
	return MergePorts(ports...)
}
