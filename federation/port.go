package federation

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Port is a port of a Service or of its endpoints, as an SRV record gives
// it (SPEC 12.1).
type Port struct {
	// Name is the port's name, "" for an unnamed port (which has no
	// _<port>._<proto> name).
	Name string
	// Protocol is lower-case: tcp, udp or sctp.
	Protocol string
	Port     uint16
}

// servicePorts returns the ports of a Service.
func servicePorts(ps []corev1.ServicePort) []Port {
	var out []Port
	for _, p := range ps {
		out = addPort(out, p.Name, string(p.Protocol), p.Port)
	}
	return slices.Clip(out)
}

// slicePorts returns the ports of an EndpointSlice.
func slicePorts(ps []discoveryv1.EndpointPort) []Port {
	var out []Port
	for _, p := range ps {
		var name, proto string
		var port int32
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.Port != nil {
			port = *p.Port
		}
		out = addPort(out, name, proto, port)
	}
	return slices.Clip(out)
}

// addPort adds a port to ports once; a port out of range, or whose name
// is not a label SRV can carry, is left out. The protocol defaults to TCP,
// as the API's does.
func addPort(ports []Port, name, proto string, port int32) []Port {
	if port <= 0 || port > 65535 || (name != "" && !IsDNS1123Label(name)) {
		return ports
	}
	if proto == "" {
		proto = string(corev1.ProtocolTCP)
	}
	p := Port{Name: name, Protocol: strings.ToLower(proto), Port: uint16(port)}
	if !IsDNS1123Label(p.Protocol) || slices.Contains(ports, p) {
		return ports
	}
	return append(ports, p)
}

// MergePorts returns the ports of every list, each once, in their order.
func MergePorts(lists ...[]Port) []Port {
	var out []Port
	for _, l := range lists {
		for _, p := range l {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
