package plugin

import "strings"

// matchZone returns the longest of zones that holds qname, or "". Both are
// lower-case and fully qualified. It is plugin.Zones.Matches without the
// allocations of dns.IsSubDomain, as it runs on every query; a dot escaped
// in qname (\.) is not a label boundary.
func matchZone(zones []string, qname string) string {
	best := ""
	for _, z := range zones {
		if len(z) > len(best) && inZone(qname, z) {
			best = z
		}
	}
	return best
}

func inZone(qname, zone string) bool {
	if zone == "." {
		return true
	}
	if !strings.HasSuffix(qname, zone) {
		return false
	}
	if len(qname) == len(zone) {
		return true
	}
	dot := len(qname) - len(zone) - 1
	if qname[dot] != '.' {
		return false
	}
	escapes := 0
	for i := dot - 1; i >= 0 && qname[i] == '\\'; i-- {
		escapes++
	}
	return escapes%2 == 0
}
