package federation

import (
	"slices"
	"strings"
)

// DomainKind classifies a name under a federation's DNS domain (SPEC 4.4).
type DomainKind int

const (
	// NoSuchName is a name that no level can have: NXDOMAIN.
	NoSuchName DomainKind = iota
	// Apex is the domain itself: SOA and NS.
	Apex
	// NameServer is ns.dns.<domain>, the target of the apex NS record.
	NameServer
	// EmptyNonTerminal is an ancestor of a possible level name: NODATA.
	EmptyNonTerminal
	// AtLevel is a zone, region or global name of a federated service.
	AtLevel
)

// DomainName is a parsed name under a federation domain.
type DomainName struct {
	Kind    DomainKind
	Service ServiceName // with Kind AtLevel
	Level   Level       // with Kind AtLevel
	Zone    string
	Region  string
	// Port holds the _<port>._<proto> labels a level name leads with
	// (SPEC 12.1).
	Port PortLabels
}

// What each label of a level name must be, from the domain leftwards.
type labelRule int

const (
	anyLabel labelRule = iota
	svcLabel
	federationLabel
	serviceLabel
)

// levelShapes are the level names' labels from the domain leftwards:
// [<zone>.]<region>.svc.<federation>.<namespace>.<service> and the global
// svc.<federation>.<namespace>.<service>.
var levelShapes = []struct {
	level Level
	rules []labelRule
}{
	{LevelGlobal, []labelRule{svcLabel, federationLabel, anyLabel, serviceLabel}},
	{LevelRegion, []labelRule{anyLabel, svcLabel, federationLabel, anyLabel, serviceLabel}},
	{LevelZone, []labelRule{anyLabel, anyLabel, svcLabel, federationLabel, anyLabel, serviceLabel}},
}

// ParseDomainName classifies qname under domain, both fully qualified; case is
// ignored. isFederation reports whether a label names a federation whose
// domain this is.
func ParseDomainName(qname, domain string, isFederation func(string) bool) DomainName {
	qname, domain = strings.ToLower(qname), strings.ToLower(domain)
	if qname == domain {
		return DomainName{Kind: Apex}
	}
	if !strings.HasSuffix(qname, "."+domain) {
		return DomainName{}
	}
	labels := strings.Split(strings.TrimSuffix(qname, "."+domain), ".")
	if port, rest, ok := CutPortLabels(labels); ok {
		// Only a level name has port names.
		z := ParseDomainName(strings.Join(rest, ".")+"."+domain, domain, isFederation)
		if z.Kind != AtLevel {
			return DomainName{}
		}
		z.Port = port
		return z
	}
	for _, l := range labels {
		if !IsDNS1123Label(l) {
			return DomainName{}
		}
	}
	slices.Reverse(labels) // from the domain leftwards
	if len(labels) == 2 && labels[0] == "dns" && labels[1] == "ns" {
		return DomainName{Kind: NameServer}
	}
	empty := false
	for _, shape := range levelShapes {
		if len(labels) > len(shape.rules) || !matches(labels, shape.rules, isFederation) {
			continue
		}
		if len(labels) < len(shape.rules) {
			empty = true
			continue
		}
		z := DomainName{Kind: AtLevel, Level: shape.level, Service: ServiceName{
			Service: labels[len(labels)-1], Namespace: labels[len(labels)-2], Federation: labels[len(labels)-3],
		}}
		switch shape.level {
		case LevelZone:
			z.Region, z.Zone = labels[0], labels[1]
		case LevelRegion:
			z.Region = labels[0]
		}
		return z
	}
	if empty {
		return DomainName{Kind: EmptyNonTerminal}
	}
	return DomainName{}
}

func matches(labels []string, rules []labelRule, isFederation func(string) bool) bool {
	for i, l := range labels {
		switch rules[i] {
		case svcLabel:
			if l != "svc" {
				return false
			}
		case federationLabel:
			if !isFederation(l) {
				return false
			}
		case serviceLabel:
			if !IsDNS1035Label(l) {
				return false
			}
		}
	}
	return true
}
