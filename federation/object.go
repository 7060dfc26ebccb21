package federation

import (
	"net/netip"
	"slices"
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The caches hold objects of these types, not the API's: each keeps only
// what answers need, already parsed (as CoreDNS's plugin/kubernetes/object
// does), so a watched Service with its EndpointSlice costs a few hundred
// bytes. Transforms (transform.go) make them before an object enters a
// cache. They are never modified once cached; DeepCopyObject copies them
// all the same, as runtime.Object promises.

// objectMeta is what a cached object keeps of its metadata: enough for the
// informer's keys and its resync checks, which read it through
// GetObjectMeta (metav1.ObjectMetaAccessor).
type objectMeta struct{ name, namespace, version string }

func newObjectMeta(m metav1.Object) objectMeta {
	return objectMeta{name: m.GetName(), namespace: m.GetNamespace(), version: m.GetResourceVersion()}
}

// GetObjectMeta implements metav1.ObjectMetaAccessor.
func (m *objectMeta) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Name: m.name, Namespace: m.namespace, ResourceVersion: m.version}
}

// GetObjectKind implements runtime.Object.
func (m *objectMeta) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// service is a cached Service.
type service struct {
	objectMeta
	kind         Kind // ClusterIP, Headless or ExternalName
	loadBalancer bool
	clusterIPs   []netip.Addr
	externalName string
	// ingress and hostnames are a LoadBalancer's ingress IPs and valid
	// hostnames (lower-case, fully qualified), each once.
	ingress   []netip.Addr
	hostnames []string
	policy    Policy // of the annotations whose values parse (SPEC 10)
	// sameZone: its trafficDistribution prefers endpoints of the client's
	// zone (PreferSameZone, or PreferClose, its older name).
	sameZone bool
	ports    []Port // its ports, for SRV (SPEC 12.1)
}

// DeepCopyObject implements runtime.Object.
func (s *service) DeepCopyObject() runtime.Object {
	c := *s
	c.clusterIPs, c.ingress, c.hostnames = slices.Clone(s.clusterIPs), slices.Clone(s.ingress), slices.Clone(s.hostnames)
	c.ports = slices.Clone(s.ports)
	c.policy.PreferRegions = slices.Clone(s.policy.PreferRegions)
	return &c
}

// endpointSlice is a cached EndpointSlice: of its endpoints, only the
// ready ones with an address (SPEC 2.1) count, and only that is kept.
type endpointSlice struct {
	objectMeta
	service string // the kubernetes.io/service-name label
	family  family
	ready   int          // ready endpoints with an address
	addrs   []netip.Addr // their IP addresses, each once (none for FQDN)
	// zones holds the zone of each of addrs (the zero handle: none).
	zones []unique.Handle[string]
	// hosts holds the hostname of each of addrs ("": none), kept only for
	// the slices of headless Services, whose endpoints have names (SPEC 12).
	hosts  []string
	places []place // their nodes and zones, each pair once
	ports  []Port  // its ports, for SRV of headless Services (SPEC 12.1)
}

// family is an EndpointSlice's address type, as readiness counts it
// (SPEC 2.1: a dual-stack pod counts once): IPv4, IPv6, or any other.
type family uint8

const (
	familyIPv4 family = iota
	familyIPv6
	familyOther // FQDN, or a type this code does not know
)

// place is where a ready endpoint runs: its node and its zone (a DNS
// label, else none). Names repeat across thousands of endpoints, so they
// are interned.
type place struct{ node, zone unique.Handle[string] }

// DeepCopyObject implements runtime.Object.
func (s *endpointSlice) DeepCopyObject() runtime.Object {
	c := *s
	c.addrs, c.zones, c.places = slices.Clone(s.addrs), slices.Clone(s.zones), slices.Clone(s.places)
	c.hosts, c.ports = slices.Clone(s.hosts), slices.Clone(s.ports)
	return &c
}

// intern returns the handle of s, the zero handle for "".
func intern(s string) unique.Handle[string] {
	if s == "" {
		return unique.Handle[string]{}
	}
	return unique.Make(s)
}

// text returns the string of an interned handle.
func text(h unique.Handle[string]) string {
	if h == (unique.Handle[string]{}) {
		return ""
	}
	return h.Value()
}

// node is a cached Node: its valid topology labels, and why any other is
// not valid.
type node struct {
	objectMeta
	topo Topology
	err  error
	// addrs are its podCIDRs and InternalIPs: read for the local cluster,
	// whose clients are mapped to their node (SPEC 5.3).
	addrs nodeAddrs
}

// DeepCopyObject implements runtime.Object.
func (n *node) DeepCopyObject() runtime.Object { c := *n; return &c }

// export is a cached ServiceExport: its namespace and name say all.
type export struct{ objectMeta }

// DeepCopyObject implements runtime.Object.
func (e *export) DeepCopyObject() runtime.Object { c := *e; return &c }
