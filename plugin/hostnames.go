package plugin

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

// Hostnames resolves the ingress hostnames of published shards (SPEC 4.2.1)
// off the query path: a background loop asks the server's own upstream for
// each hostname's A and AAAA records when their TTL has run out, and keeps
// the last good addresses while a refresh fails. A query reads what is
// there and never waits.
type Hostnames struct {
	// lookup resolves name for qtype (A or AAAA) and returns the addresses
	// and the smallest TTL of the answer.
	lookup func(ctx context.Context, name string, qtype uint16) ([]netip.Addr, uint32, error)

	mu       sync.RWMutex
	wanted   map[string][]string // hostnames by the member that publishes them
	hosts    map[string]*host
	wake     chan struct{}
	full     sync.Once          // logs that maxHostnames was reached
	failures federation.OnceLog // logs each hostname that cannot be resolved, rate-limited
	// onChange, if set before Run, is called when a hostname gets its
	// first address or loses its last one.
	onChange func()
}

type host struct {
	addrs [2][]netip.Addr // A, then AAAA: each family keeps its last good answer
	due   time.Time       // when to resolve next
}

// families are the question types asked for each hostname, in the order of
// host.addrs.
var families = [2]uint16{dns.TypeA, dns.TypeAAAA}

// Bounds of the refresh interval: a TTL of 0 is not a reason to ask every
// second, and a day-long TTL is not one to miss a change for a day.
const (
	minRefresh   = 5 * time.Second
	maxRefresh   = 10 * time.Minute
	retryRefresh = 2 * time.Second
	lookupTime   = 2 * time.Second
)

// maxHostnames bounds how many hostnames are resolved in all;
// refreshParallel how many are asked at once.
const (
	maxHostnames    = 10000
	refreshParallel = 8
)

// NewHostnames returns a resolver of ingress hostnames through lookup.
func NewHostnames(lookup func(ctx context.Context, name string, qtype uint16) ([]netip.Addr, uint32, error)) *Hostnames {
	return &Hostnames{lookup: lookup, wanted: map[string][]string{}, hosts: map[string]*host{}, wake: make(chan struct{}, 1)}
}

// Want sets the hostnames that member publishes; hostnames no member
// publishes any more are forgotten.
func (h *Hostnames) Want(member string, hostnames []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(hostnames) == 0 && len(h.wanted[member]) == 0 {
		return
	}
	h.wanted[member] = hostnames
	all := map[string]bool{}
	for _, names := range h.wanted {
		for _, n := range names {
			all[n] = true
		}
	}
	for n := range h.hosts {
		if !all[n] {
			delete(h.hosts, n)
		}
	}
	added := false
	for n := range all {
		if _, ok := h.hosts[n]; ok {
			continue
		}
		if len(h.hosts) >= maxHostnames {
			h.full.Do(func() { log.Warningf("more than %d ingress hostnames: the others are not resolved", maxHostnames) })
			break
		}
		h.hosts[n] = &host{}
		added = true
	}
	if added {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// Addresses returns ingress with the resolved addresses of hostnames added;
// ingress itself is not modified.
func (h *Hostnames) Addresses(ingress []netip.Addr, hostnames []string) []netip.Addr {
	out := slices.Clone(ingress)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, n := range hostnames {
		e, ok := h.hosts[n]
		if !ok {
			continue
		}
		for _, addrs := range e.addrs {
			for _, a := range addrs {
				if !slices.Contains(out, a) {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// Run refreshes the hostnames that are due until ctx ends.
func (h *Hostnames) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		h.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.wake:
		}
	}
}

func (h *Hostnames) refresh(ctx context.Context) {
	now := time.Now()
	h.mu.RLock()
	var due []string
	for n, e := range h.hosts {
		if !now.Before(e.due) {
			due = append(due, n)
		}
	}
	h.mu.RUnlock()
	// A few at a time, so hostnames whose servers do not answer cannot
	// hold up the refresh of all the others.
	sem := make(chan struct{}, refreshParallel)
	var wg sync.WaitGroup
	for _, n := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			addrs, answered, next := h.resolve(ctx, n)
			h.update(n, addrs, answered, next)
		})
	}
	wg.Wait()
}

// update stores the outcome of resolving name.
func (h *Hostnames) update(name string, addrs [2][]netip.Addr, answered [2]bool, next time.Duration) {
	if h.store(name, addrs, answered, next) && h.onChange != nil {
		h.onChange()
	}
}

// store stores the outcome of resolving name and reports whether name
// went from no address to some, or back.
func (h *Hostnames) store(name string, addrs [2][]netip.Addr, answered [2]bool, next time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.hosts[name]
	if !ok {
		return false // no member publishes it any more
	}
	had := len(e.addrs[0])+len(e.addrs[1]) > 0
	for i := range families {
		if answered[i] {
			e.addrs[i] = addrs[i]
		}
	}
	e.due = time.Now().Add(next)
	if !answered[0] && !answered[1] {
		h.failures.Warningf(name, "cannot resolve ingress hostname %s through this server: its shard counts only with addresses", name)
	}
	return had != (len(e.addrs[0])+len(e.addrs[1]) > 0)
}

// publishable reports whether ip may stand for a load balancer in the
// federation zone: never a loopback, link-local, multicast or unspecified
// address, which a hostname could name to publish this host's own.
func publishable(ip netip.Addr) bool {
	return !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.IsMulticast() && !ip.IsUnspecified()
}

// resolve asks for the A and AAAA records of name. A family whose question
// was not answered is not reported as answered, so its last good addresses
// stay; next is when to ask again.
func (h *Hostnames) resolve(ctx context.Context, name string) (addrs [2][]netip.Addr, answered [2]bool, next time.Duration) {
	next = maxRefresh
	for i, qtype := range families {
		lctx, cancel := context.WithTimeout(ctx, lookupTime)
		a, ttl, err := h.lookup(lctx, name, qtype)
		cancel()
		if err != nil {
			next = min(next, retryRefresh)
			continue
		}
		addrs[i], answered[i] = a, true
		next = min(next, max(time.Duration(ttl)*time.Second, minRefresh))
	}
	return addrs, answered, next
}

// ServerLookup returns a lookup that asks the DNS server at addr (this
// CoreDNS, so its forward and file zones apply) over UDP, then TCP when the
// answer is truncated. An answer without addresses (NXDOMAIN, NODATA) is an
// answer: the hostname has no address now.
func ServerLookup(addr string) func(ctx context.Context, name string, qtype uint16) ([]netip.Addr, uint32, error) {
	return func(ctx context.Context, name string, qtype uint16) ([]netip.Addr, uint32, error) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.SetEdns0(dns.DefaultMsgSize, false)
		c := &dns.Client{Net: "udp"}
		r, _, err := c.ExchangeContext(ctx, m, addr)
		if err == nil && r.Truncated {
			c.Net = "tcp"
			r, _, err = c.ExchangeContext(ctx, m, addr)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("resolve %s: %w", name, err)
		}
		if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
			return nil, 0, fmt.Errorf("resolve %s: %s", name, dns.RcodeToString[r.Rcode])
		}
		ttl := uint32(maxRefresh.Seconds())
		if len(r.Answer) == 0 {
			ttl = 0 // no address yet (a new load balancer): ask again soon
			for _, rr := range r.Ns {
				if soa, ok := rr.(*dns.SOA); ok {
					ttl = min(soa.Hdr.Ttl, soa.Minttl) // RFC 2308's negative TTL
				}
			}
		}
		var addrs []netip.Addr
		for _, rr := range r.Answer {
			ttl = min(ttl, rr.Header().Ttl)
			switch rr := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(rr.A); ok && qtype == dns.TypeA && publishable(ip.Unmap()) {
					addrs = append(addrs, ip.Unmap())
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(rr.AAAA); ok && qtype == dns.TypeAAAA && publishable(ip) {
					addrs = append(addrs, ip)
				}
			}
		}
		return addrs, ttl, nil
	}
}
