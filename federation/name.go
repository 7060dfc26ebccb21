package federation

import (
	"strings"
)

// ServiceName is a federated service name, <service>.<namespace>.<federation>, in
// lower case.
type ServiceName struct {
	Service    string
	Namespace  string
	Federation string
}

// ParseServiceName reports whether qname is exactly
// <service>.<namespace>.<federation>.svc.<zone> (SPEC 1.1) and returns its
// parts in lower case. Both names are fully qualified; matching ignores case.
// The caller checks that Federation is configured.
func ParseServiceName(qname, zone string) (ServiceName, bool) {
	qname, zone = strings.ToLower(qname), strings.ToLower(zone)
	if zone == "." {
		zone = ""
	}
	if len(qname) <= len(zone) || !strings.HasSuffix(qname, zone) {
		return ServiceName{}, false
	}
	rest := qname[:len(qname)-len(zone)]
	if zone != "" {
		// The zone must start at a label boundary.
		if !strings.HasSuffix(rest, ".") {
			return ServiceName{}, false
		}
	}
	rest = strings.TrimSuffix(rest, ".")
	if strings.Count(rest, ".") != 3 {
		return ServiceName{}, false
	}
	labels := strings.SplitN(rest, ".", 4)
	if labels[3] != "svc" {
		return ServiceName{}, false
	}
	n := ServiceName{Service: labels[0], Namespace: labels[1], Federation: labels[2]}
	if !IsDNS1035Label(n.Service) || !IsDNS1123Label(n.Namespace) || !IsDNS1123Label(n.Federation) {
		return ServiceName{}, false
	}
	return n, true
}

// ParseServiceNamePort is ParseServiceName for a name that may lead with
// _<port>._<proto> labels (SPEC 12.1), returned apart.
func ParseServiceNamePort(qname, zone string) (ServiceName, PortLabels, bool) {
	if !strings.HasPrefix(qname, "_") {
		n, ok := ParseServiceName(qname, zone)
		return n, PortLabels{}, ok
	}
	labels := strings.SplitN(strings.ToLower(qname), ".", 3)
	port, rest, ok := CutPortLabels(labels)
	if !ok || len(rest) != 1 {
		return ServiceName{}, PortLabels{}, false
	}
	n, ok := ParseServiceName(rest[0], zone)
	return n, port, ok
}

// LevelName returns the name of n at level l of the federation zone under
// domain, in lower case and fully qualified:
// <service>.<namespace>.<federation>.svc[.<zone>[.<region>]].<domain>.
// The zone level uses zone and region, the region level region only.
func (n ServiceName) LevelName(l Level, zone, region, domain string) string {
	switch l {
	case LevelRegion:
		zone = ""
	case LevelGlobal, LevelNone:
		zone, region = "", ""
	}
	var b strings.Builder
	b.Grow(len(n.Service) + len(n.Namespace) + len(n.Federation) + len(zone) + len(region) + len(domain) + 10)
	for _, label := range []string{n.Service, n.Namespace, n.Federation, "svc", zone, region} {
		if label != "" {
			b.WriteString(label)
			b.WriteByte('.')
		}
	}
	b.WriteString(strings.TrimSuffix(strings.ToLower(domain), "."))
	b.WriteByte('.')
	return b.String()
}
