package plugin

import (
	"context"
	"hash/fnv"
	"net/netip"
	"sync"
	"time"
)

// Notifier sends NOTIFY for a zone to its secondaries: the transfer
// plugin.
type Notifier interface {
	Notify(zone string) error
}

// notifyInterval is the shortest time between two refreshes of the
// federation zones, and so between two NOTIFYs of one zone (SPEC 13.2).
const zoneRefreshInterval = 100 * time.Millisecond

// zoneRecheck is how often the zones are refreshed without a change being
// heard of: a safety net, as every change the plugin sees kicks a refresh.
const zoneRecheck = 5 * time.Second

// serials holds the SOA serial of each federation zone served with
// members and a hash of the zone's records when it was last taken.
type serials struct {
	mu     sync.Mutex
	serial map[string]uint32
	hash   map[string]uint64
	start  uint32 // the serial of every other zone
	kick   chan struct{}
}

func newSerials(now time.Time) *serials {
	return &serials{serial: map[string]uint32{}, hash: map[string]uint64{}, start: clockSerial(now), kick: make(chan struct{}, 1)}
}

// clockSerial is now as a serial: tenths of a second since the Unix
// epoch, modulo 2^32 (RFC 1982 arithmetic wraps it every 13 years). The
// zones are refreshed at most every tenth of a second, so a serial never
// runs ahead of the clock, and a restart, which starts at the clock, never
// lowers it.
func clockSerial(now time.Time) uint32 { return uint32(now.UnixMilli() / 100) } //nolint:gosec // RFC 1982 serials wrap

// serialOf returns the serial of zone.
func (s *serials) serialOf(zone string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.of(zone)
}

// of is serialOf with s.mu held.
func (s *serials) of(zone string) uint32 {
	if v, ok := s.serial[zone]; ok {
		return v
	}
	return s.start
}

// update records the hash of zone's records at now, and reports whether
// they changed: the serial then moves to max(serial + 1, clock), so two
// changes in one second get two serials and a restart (which starts at
// the clock) does not go back (SPEC 13.2).
func (s *serials) update(zone string, hash uint64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, seen := s.hash[zone]
	if seen && old == hash {
		return false
	}
	s.hash[zone] = hash
	if !seen {
		return true // the first take: the start serial, announced
	}
	next := s.of(zone) + 1
	if u := clockSerial(now); serialBefore(next, u) {
		next = u
	}
	s.serial[zone] = next
	return true
}

// kickZones asks for a refresh of the federation zones: something the
// plugin answers from may have changed.
func (f *Federation) kickZones() {
	select {
	case f.serials.kick <- struct{}{}:
	default:
	}
}

// watchZones refreshes the federation zones when kicked, at most every
// 100 ms, until ctx ends.
func (f *Federation) watchZones(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.serials.kick:
		case <-time.After(zoneRecheck):
		}
		f.refreshZones(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(zoneRefreshInterval):
		}
	}
}

// refreshZones takes each federation zone's records and, where they
// changed, moves its serial and sends NOTIFY to its secondaries. Nothing
// is taken while the caches are not known: a zone of unknown shards is no
// zone to send.
func (f *Federation) refreshZones(now time.Time) {
	if !f.clusters.LocalSynced() || !f.clusters.Settled(now) {
		return
	}
	for _, domain := range f.cfg.Authority {
		h := fnv.New64a()
		for _, rr := range f.zoneRecords(domain, now) {
			_, _ = h.Write([]byte(rr.String()))
			_, _ = h.Write([]byte{'\n'})
		}
		if f.serials.update(domain, h.Sum64(), now) && f.notifier != nil {
			go func() {
				if err := f.notifier.Notify(domain); err != nil {
					f.warnings.Warningf("notify:"+domain, "NOTIFY of %s: %v", domain, err)
				}
			}()
		}
	}
}

// SetTransfer gives the plugin what zone transfers need: the transfer
// plugin, which sends NOTIFY (nil: none), and the addresses the server
// listens on, which name its name server (none: this host's).
func (f *Federation) SetTransfer(n Notifier, listen []netip.Addr) {
	f.notifier, f.listen = n, listen
}
