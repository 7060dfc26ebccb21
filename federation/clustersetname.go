package federation

import "strings"

// ClustersetKind classifies a name under the clusterset zone (SPEC 12).
type ClustersetKind int

const (
	// ClustersetNoSuchName is a name no clusterset name can be: NXDOMAIN.
	ClustersetNoSuchName ClustersetKind = iota
	// ClustersetApex is the zone itself.
	ClustersetApex
	// ClustersetVersion is dns-version.<zone>.
	ClustersetVersion
	// ClustersetEmpty is svc.<zone> or <ns>.svc.<zone>: an empty
	// non-terminal, NODATA.
	ClustersetEmpty
	// ClustersetService is [_<port>._<proto>.]<svc>.<ns>.svc.<zone>.
	ClustersetService
	// ClustersetEndpoint is <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>,
	// the cluster id of one or two labels.
	ClustersetEndpoint
	// ClustersetNameServer is ns.dns.<zone>, the target of the apex NS.
	ClustersetNameServer
)

// ClustersetName is a parsed name under the clusterset zone, in lower case.
type ClustersetName struct {
	Kind      ClustersetKind
	Namespace string
	Service   string
	// Port is a _<port>._<proto> prefix, with ClustersetService.
	Port PortLabels
	// Host and Cluster, with ClustersetEndpoint: the endpoint's hostname
	// and the cluster id, which may be the two labels after Host.
	Host, Cluster string
}

// PortLabels are the _<port>._<proto> labels of an SRV name (SPEC 12.1),
// without their underscores; zero for a bare name.
type PortLabels struct{ Name, Protocol string }

// Matches reports whether port p is the one the labels name; every port
// for a bare name.
func (l PortLabels) Matches(p Port) bool {
	return l == PortLabels{} || (p.Name != "" && p.Name == l.Name && p.Protocol == l.Protocol)
}

// Prefix is the labels as they lead a name: "_<port>._<proto>.", or "".
func (l PortLabels) Prefix() string {
	if l == (PortLabels{}) {
		return ""
	}
	return "_" + l.Name + "._" + l.Protocol + "."
}

// CutPortLabels splits a leading _<port>._<proto> pair off the labels,
// and reports whether they lead with one; labels that lead with an
// underscore but are no such pair are not cut (ok false, labels kept).
func CutPortLabels(labels []string) (PortLabels, []string, bool) {
	if len(labels) < 2 || !strings.HasPrefix(labels[0], "_") || !strings.HasPrefix(labels[1], "_") {
		return PortLabels{}, labels, false
	}
	p := PortLabels{Name: labels[0][1:], Protocol: labels[1][1:]}
	if !IsDNS1123Label(p.Name) || !IsDNS1123Label(p.Protocol) {
		return PortLabels{}, labels, false
	}
	return p, labels[2:], true
}

// ParseClustersetName classifies qname under zone, both fully qualified;
// case is ignored.
func ParseClustersetName(qname, zone string) ClustersetName {
	qname, zone = strings.ToLower(qname), strings.ToLower(zone)
	if qname == zone {
		return ClustersetName{Kind: ClustersetApex}
	}
	rest, ok := strings.CutSuffix(qname, "."+zone)
	if zone == "." {
		rest, ok = strings.CutSuffix(qname, ".")
	}
	if !ok {
		return ClustersetName{}
	}
	labels := strings.Split(rest, ".")
	switch rest {
	case "dns-version":
		return ClustersetName{Kind: ClustersetVersion}
	case "ns.dns":
		return ClustersetName{Kind: ClustersetNameServer}
	}
	port, labels, hasPort := CutPortLabels(labels)
	n := len(labels)
	if n == 0 || labels[n-1] != "svc" {
		return ClustersetName{}
	}
	switch {
	case n == 1 && !hasPort, n == 2 && !hasPort && IsDNS1123Label(labels[0]):
		return ClustersetName{Kind: ClustersetEmpty}
	case n == 3:
		if !IsDNS1035Label(labels[0]) || !IsDNS1123Label(labels[1]) {
			return ClustersetName{}
		}
		return ClustersetName{Kind: ClustersetService, Service: labels[0], Namespace: labels[1], Port: port}
	case (n == 5 || n == 6) && !hasPort:
		id := strings.Join(labels[1:n-3], ".")
		if !IsDNS1123Label(labels[0]) || !ValidClusterID(id) || !IsDNS1035Label(labels[n-3]) || !IsDNS1123Label(labels[n-2]) {
			return ClustersetName{}
		}
		return ClustersetName{Kind: ClustersetEndpoint, Host: labels[0], Cluster: id, Service: labels[n-3], Namespace: labels[n-2]}
	}
	return ClustersetName{} // <clusterid>.<svc>.<ns>.svc among them: reserved (SPEC 12)
}
