package federation

import (
	"fmt"
	"strconv"
	"strings"
)

// The annotations of a service's owners that change its failover (SPEC 10).
const (
	AnnotationMinReady      = "federated-dns.io/min-ready"
	AnnotationPreferRegions = "federated-dns.io/prefer-regions"
	AnnotationScope         = "federated-dns.io/scope"
)

// Bounds of the policy annotations' values.
const (
	maxAnnotation    = 256
	maxPreferRegions = 8
)

// withoutKey returns a copy of m without key.
func withoutKey(m map[string]string, key string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// Policy is a shard's failover policy, read from its Service's annotations.
// The zero Policy is the default walk: zone, region, global.
type Policy struct {
	// MinReady is the number of ready endpoints below which the shard does
	// not count as healthy; 0 is the default, 1.
	MinReady int
	// PreferRegions are the regions whose levels the asking cluster's CNAME
	// points at, in order, before the global level.
	PreferRegions []string
	// Scope is the widest level a walk may reach; LevelNone is the default,
	// the global level.
	Scope Level
}

// Within reports whether the walk may point at level l under scope.
func (s Level) Within(l Level) bool { return s == LevelNone || l >= s }

// Narrowest returns the narrower of two scopes; LevelNone is unset.
func Narrowest(a, b Level) Level { return max(a, b) }

// ParsePolicy reads the policy annotations; a value that does not parse is
// left out, and the error names the annotation (SPEC 10.1).
// Values are bounded, as tenants write them: a value longer than
// maxAnnotation or more than maxPreferRegions regions does not parse.
func ParsePolicy(annotations map[string]string) (Policy, []error) {
	var p Policy
	var errs []error
	for _, key := range []string{AnnotationMinReady, AnnotationPreferRegions, AnnotationScope} {
		if v, ok := annotations[key]; ok && len(v) > maxAnnotation {
			errs = append(errs, fmt.Errorf("%s %q… is longer than %d bytes", key, v[:32], maxAnnotation))
			annotations = withoutKey(annotations, key)
		}
	}
	if v, ok := annotations[AnnotationMinReady]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1<<20 {
			errs = append(errs, fmt.Errorf("%s %q is not a number of endpoints", AnnotationMinReady, v))
		} else {
			p.MinReady = n
		}
	}
	if v, ok := annotations[AnnotationPreferRegions]; ok {
		for r := range strings.SplitSeq(v, ",") {
			r = strings.ToLower(strings.TrimSpace(r))
			if !IsDNS1123Label(r) {
				errs = append(errs, fmt.Errorf("%s %q: %q is not a region (a DNS label)", AnnotationPreferRegions, v, r))
				p.PreferRegions = nil
				break
			}
			p.PreferRegions = append(p.PreferRegions, r)
		}
		if len(p.PreferRegions) > maxPreferRegions {
			errs = append(errs, fmt.Errorf("%s lists more than %d regions", AnnotationPreferRegions, maxPreferRegions))
			p.PreferRegions = nil
		}
	}
	if v, ok := annotations[AnnotationScope]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "zone":
			p.Scope = LevelZone
		case "region":
			p.Scope = LevelRegion
		case "global":
			p.Scope = LevelGlobal
		default:
			errs = append(errs, fmt.Errorf("%s %q is not zone, region or global", AnnotationScope, v))
		}
	}
	return p, errs
}

// Route returns where the in-cluster CNAME of a service whose local shard
// is unhealthy points (SPEC 3.2, 10): the nearest level within scope that
// has one of shards, walking zone, region, then each region of prefer
// (within a global scope), then global; region is the region of the level
// returned, and found whether it has a shard. Without any shard within
// scope, it returns the widest level the scope allows, which has none.
func Route(shards []PublishedShard, zone, region string, prefer []string, scope Level) (l Level, inRegion string, found bool) {
	for l = LevelZone; l != LevelNone && scope.Within(l); l = l.Up() {
		if l == LevelGlobal {
			for _, r := range prefer {
				if r != region && hasShard(shards, LevelRegion, "", r) {
					return LevelRegion, r, true
				}
			}
		}
		if hasShard(shards, l, zone, region) {
			return l, region, true
		}
	}
	return max(scope, LevelGlobal), region, false
}
