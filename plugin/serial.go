package plugin

import (
	"context"
	"hash/fnv"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Notifier sends NOTIFY for a zone to its secondaries: the transfer
// plugin.
type Notifier interface {
	Notify(zone string) error
}

// zoneRefreshInterval is the shortest time between two refreshes of the
// federation zones, and so between two NOTIFYs of one zone (SPEC 13.2).
const zoneRefreshInterval = 100 * time.Millisecond

// zoneRecheck is how often the zones are refreshed without a change being
// heard of: a safety net, as every change the plugin sees kicks a refresh.
const zoneRecheck = 5 * time.Second

// issued holds the highest serial this process gave each zone: a
// reload's new instance, which runs next to the old one for a while,
// never goes below what the old one handed out (SPEC 13.2).
var issued = struct {
	sync.Mutex
	serial map[string]uint32
}{serial: map[string]uint32{}}

// serials holds, for each federation zone served with members, its SOA
// serial and the records that serial was taken of, which transfers send,
// and the NOTIFYs under way.
type serials struct {
	mu      sync.Mutex
	serial  map[string]uint32
	hash    map[string]uint64
	records map[string][]dns.RR
	start   uint32 // the serial of a zone not taken yet
	kick    chan struct{}
	// notifying and pending: a NOTIFY of the zone is being sent, and
	// another change came meanwhile; stopped: send no more.
	notifying, pending map[string]bool
	stopped            bool
}

func newSerials(now time.Time) *serials {
	return &serials{
		serial: map[string]uint32{}, hash: map[string]uint64{}, records: map[string][]dns.RR{},
		notifying: map[string]bool{}, pending: map[string]bool{},
		start: clockSerial(now), kick: make(chan struct{}, 1),
	}
}

// clockSerial is now as a serial: tenths of a second since the Unix
// epoch, modulo 2^32 (RFC 1982 arithmetic wraps it every 13 years). The
// zones are refreshed at most every tenth of a second, so a serial does
// not run ahead of the clock, and a restart, which starts at the clock,
// does not lower it (unless the clock went back).
func clockSerial(now time.Time) uint32 { return uint32(now.UnixMilli() / 100) } //nolint:gosec // RFC 1982 serials wrap

// serialOf returns the serial of zone.
func (s *serials) serialOf(zone string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.of(zone)
}

// of is serialOf with s.mu held: before the zone's first take, the start,
// or what an instance running before this one gave it, if higher.
func (s *serials) of(zone string) uint32 {
	if v, ok := s.serial[zone]; ok {
		return v
	}
	issued.Lock()
	defer issued.Unlock()
	if v, ok := issued.serial[zone]; ok && serialBefore(s.start, v) {
		return v
	}
	return s.start
}

// snapshot returns the records of zone its serial was taken of, and
// whether it has been taken.
func (s *serials) snapshot(zone string) ([]dns.RR, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rrs, ok := s.records[zone]
	return rrs, s.of(zone), ok
}

// update records zone's records rrs, of hash, taken at now, and reports
// whether they changed: the serial then moves to the later of the clock
// and the last serial plus one (of this instance and of any before it),
// so two changes in one second get two serials and a reload or restart
// does not go back (SPEC 13.2).
func (s *serials) update(zone string, hash uint64, rrs []dns.RR, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, seen := s.hash[zone]; seen && old == hash {
		return false
	}
	s.hash[zone], s.records[zone] = hash, rrs
	next := clockSerial(now)
	if cur, taken := s.serial[zone]; taken && !serialBefore(cur, next) {
		next = cur + 1
	}
	issued.Lock()
	if last, ok := issued.serial[zone]; ok && !serialBefore(last, next) {
		next = last + 1
	}
	issued.serial[zone] = next
	issued.Unlock()
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
		rrs := f.zoneRecords(domain, now)
		h := fnv.New64a()
		for _, rr := range rrs {
			_, _ = h.Write([]byte(rr.String()))
			_, _ = h.Write([]byte{'\n'})
		}
		if f.serials.update(domain, h.Sum64(), rrs, now) && f.notifier != nil {
			f.notify(domain)
		}
	}
}

// notify sends NOTIFY of domain to its secondaries in the background: one
// sender per zone, which sends once more if another change came while it
// sent (a secondary that is down costs the transfer plugin's retries, not
// a goroutine per change).
func (f *Federation) notify(domain string) {
	s := f.serials
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if s.notifying[domain] {
		s.pending[domain] = true
		return
	}
	s.notifying[domain] = true
	go func() {
		for {
			if err := f.notifier.Notify(domain); err != nil {
				f.warnings.Warningf("notify:"+domain, "NOTIFY of %s: %v", domain, err)
			}
			s.mu.Lock()
			if !s.pending[domain] || s.stopped {
				s.notifying[domain] = false
				s.mu.Unlock()
				return
			}
			s.pending[domain] = false
			s.mu.Unlock()
		}
	}()
}

// stopNotifying sends no more NOTIFYs: the instance is stopping.
func (s *serials) stopNotifying() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}

// SetTransfer gives the plugin what zone transfers need: the transfer
// plugin, which sends NOTIFY (nil: none), and the addresses the server
// listens on, which name its name server (none: this host's).
func (f *Federation) SetTransfer(n Notifier, listen []netip.Addr) {
	f.notifier, f.listen = n, listen
}
