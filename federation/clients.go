package federation

import (
	"net/netip"
	"slices"
	"sync"
)

// clientIndex maps a client's address to the local Node it asks from
// (SPEC 5.3): a pod's address to the Node whose spec.podCIDRs hold it, a
// node's own InternalIP (NodeLocal DNSCache, host-network pods) to that
// Node. It is kept from the Node watch's events, so a lookup is a few map
// reads: one per prefix length in use, longest first. Each key holds one
// Node's name; the rare key that several Nodes claim (overlapping ranges,
// a reused address) keeps them all in shared, and answers none.
type clientIndex struct {
	mu     sync.RWMutex
	ips    map[netip.Addr]string   // InternalIP -> Node
	cidrs  map[netip.Prefix]string // podCIDR -> Node
	shared map[any][]string        // a key of ips or cidrs claimed more than once -> its Nodes
	widths [2][]int                // prefix lengths in use, IPv4 then IPv6, longest first
	counts [2]map[int]int          // how many podCIDRs of each length
	nodes  int
}

// nodeAddrs is what a Node contributes to the index.
type nodeAddrs struct {
	podCIDRs    []netip.Prefix
	internalIPs []netip.Addr
}

func (a nodeAddrs) empty() bool { return len(a.podCIDRs) == 0 && len(a.internalIPs) == 0 }

// update replaces what Node name contributed, old, with now: an added Node
// has no old, a deleted one no now.
func (x *clientIndex) update(name string, old, now nodeAddrs) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ips == nil {
		x.ips, x.cidrs, x.shared = map[netip.Addr]string{}, map[netip.Prefix]string{}, map[any][]string{}
		x.counts = [2]map[int]int{{}, {}}
	}
	if !old.empty() {
		x.nodes--
	}
	if !now.empty() {
		x.nodes++
	}
	for _, ip := range old.internalIPs {
		release(x.ips, x.shared, ip, name)
	}
	for _, p := range old.podCIDRs {
		release(x.cidrs, x.shared, p, name)
		f := addrFamily(p.Addr())
		if x.counts[f][p.Bits()]--; x.counts[f][p.Bits()] == 0 {
			delete(x.counts[f], p.Bits())
			x.widths[f] = slices.DeleteFunc(x.widths[f], func(b int) bool { return b == p.Bits() })
		}
	}
	for _, ip := range now.internalIPs {
		claim(x.ips, x.shared, ip, name)
	}
	for _, p := range now.podCIDRs {
		claim(x.cidrs, x.shared, p, name)
		f := addrFamily(p.Addr())
		if x.counts[f][p.Bits()]++; x.counts[f][p.Bits()] == 1 {
			x.widths[f] = append(x.widths[f], p.Bits())
			slices.SortFunc(x.widths[f], func(a, b int) int { return b - a })
		}
	}
}

// claim records that Node name claims key.
func claim[K comparable](m map[K]string, shared map[any][]string, key K, name string) {
	if others, ok := shared[key]; ok {
		shared[key] = append(others, name)
		return
	}
	if first, ok := m[key]; ok {
		if first == name {
			return // the Node lists it twice: still its own
		}
		shared[key] = []string{first, name}
		return
	}
	m[key] = name
}

// release records that Node name no longer claims key.
func release[K comparable](m map[K]string, shared map[any][]string, key K, name string) {
	others, ok := shared[key]
	if !ok {
		if m[key] == name {
			delete(m, key)
		}
		return
	}
	if i := slices.Index(others, name); i >= 0 {
		others = slices.Delete(others, i, i+1)
	}
	if len(others) > 1 {
		shared[key] = others
		return
	}
	delete(shared, key)
	m[key] = others[0]
}

// lookup returns the Node that addr asks from, and false when no Node or
// more than one claims it (overlapping ranges: no answer is better than a
// guess). A node's own address wins over a pod range that holds it.
func (x *clientIndex) lookup(addr netip.Addr) (string, bool) {
	addr = addr.Unmap()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if name, ok := x.ips[addr]; ok {
		return only(name, x.isShared(addr))
	}
	for _, bits := range x.widths[addrFamily(addr)] {
		p, err := addr.Prefix(bits)
		if err != nil {
			continue
		}
		if name, ok := x.cidrs[p]; ok {
			return only(name, x.isShared(p))
		}
	}
	return "", false
}

// only returns name, unless several Nodes claim its key.
func only(name string, shared bool) (string, bool) {
	if shared {
		return "", false
	}
	return name, true
}

// isShared reports whether several Nodes claim key; the caller holds the
// lock.
func (x *clientIndex) isShared(key any) bool {
	if len(x.shared) == 0 {
		return false
	}
	_, ok := x.shared[key]
	return ok
}

// len returns how many Nodes with addresses the index holds.
func (x *clientIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.nodes
}

func addrFamily(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}
