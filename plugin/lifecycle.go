package plugin

import (
	"context"
	"sync"
	"time"

	"github.com/federated-dns/federation/federation"
)

// LocalLabel names the local cluster in metrics.
const LocalLabel = "local"

// Start starts every watch, each once, and the background resolution of
// ingress hostnames. It does not wait for the caches.
func (f *Federation) Start() {
	f.started.Store(time.Now().UnixNano())
	w := f.watchers
	local := &localWatch{c: w.Local}
	f.memberWatches = nil
	for _, m := range w.Members {
		f.memberWatches = append(f.memberWatches, &memberWatch{m: m, hostnames: w.Hostnames, onUpdate: f.kickZones})
	}
	holdSeries(f.seriesNames())
	if w.Hostnames != nil {
		mws := f.memberWatches
		// A hostname that resolves for the first time, or no longer does,
		// changes the count of the shards it stands for.
		w.Hostnames.onChange = func() {
			for _, mw := range mws {
				mw.update()
			}
			f.kickZones()
		}
		ctx, cancel := context.WithCancel(context.Background())
		f.stopHostnames = cancel
		f.background.Go(func() { w.Hostnames.Run(ctx) })
	}
	for _, c := range w.Watches {
		var fns []func()
		if w.Local.Watch() == c {
			fns = append(fns, local.update)
		}
		for _, mw := range f.memberWatches {
			if mw.m.Reads(c) {
				fns = append(fns, mw.update)
			}
		}
		c.Start(func() {
			for _, fn := range fns {
				fn()
			}
			f.kickZones()
		})
	}
	if len(f.cfg.Authority) > 0 {
		// The federation zones' serials and NOTIFYs (SPEC 13.2).
		ctx, cancel := context.WithCancel(context.Background())
		f.stopZones = cancel
		f.background.Go(func() { f.watchZones(ctx) })
	}
}

// Stop stops every watch and waits for its goroutines.
func (f *Federation) Stop() {
	for _, c := range f.watchers.Watches {
		c.Stop()
	}
	for _, mw := range f.memberWatches {
		mw.stop()
	}
	if f.stopHostnames != nil {
		f.stopHostnames()
	}
	if f.stopZones != nil {
		f.stopZones()
	}
	f.serials.stopNotifying()
	f.background.Wait()
	releaseSeries(f.seriesNames())
}

// seriesNames are the cluster labels of this instance's metric series.
func (f *Federation) seriesNames() []string {
	names := make([]string, 0, 1+len(f.watchers.Members))
	names = append(names, LocalLabel)
	for _, m := range f.watchers.Members {
		names = append(names, m.Name)
	}
	return names
}

// WaitForSync waits up to timeout for the local cluster's caches to sync:
// a member that is down must not hold up a start or a reload (its names
// get SERVFAIL until it syncs or passes its grace, SPEC 4.5.2).
func (f *Federation) WaitForSync(timeout time.Duration) bool {
	return f.watchers.Local.Watch().WaitForSync(timeout)
}

// localWatch keeps the local cluster's metric current and logs each change
// of its API's state once.
type localWatch struct {
	c    *federation.LocalCluster
	mu   sync.Mutex
	down bool
}

func (w *localWatch) update() {
	w.mu.Lock()
	defer w.mu.Unlock()
	UpdateSynced(LocalLabel, w.c.Synced())
	since, err := w.c.Down()
	switch down := !since.IsZero(); {
	case down && !w.down:
		log.Warningf("local cluster: API calls failing: %v", err)
	case !down && w.down:
		log.Info("local cluster: API answers again")
	}
	w.down = !since.IsZero()
}

// memberWatch keeps a member's metrics current and logs each change of its
// state once.
type memberWatch struct {
	m         *federation.Member
	hostnames *Hostnames // nil: none resolved
	onUpdate  func()     // called after each update (the zones' refresh)
	mu        sync.Mutex
	state     memberState
	timer     *time.Timer // fires when the grace period ends
	stopped   bool        // set by stop: a timer that fires late does nothing
}

type memberState int

const (
	memberStarting memberState = iota
	memberUp
	memberInGrace
	memberDropped
)

// update is the member cluster's notify hook.
func (w *memberWatch) update() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	name := w.m.Name
	left, down := w.m.GraceLeft(time.Now())
	state := memberStarting
	switch {
	case down && left == 0:
		state = memberDropped
	case down:
		state = memberInGrace
	case w.m.HasSynced():
		state = memberUp
	}
	// The timer is re-armed on every update: the API may have answered and
	// failed again since the last one, which moves the end of the grace.
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if state == memberInGrace {
		w.timer = time.AfterFunc(left, w.update)
	}

	UpdateSynced(name, w.m.Synced())
	healthy, hostnames := 0, []string(nil)
	if state == memberUp || state == memberInGrace {
		healthy, hostnames = w.m.CountPublished(w.counts)
	}
	if w.hostnames != nil {
		w.hostnames.Want(name, hostnames)
	}
	healthyShards.WithLabelValues(name).Set(float64(healthy))
	if w.onUpdate != nil {
		w.onUpdate()
	}

	if state == w.state {
		return
	}
	_, err := w.m.Down()
	switch state {
	case memberUp:
		log.Infof("member %s: synced", name)
	case memberInGrace:
		log.Warningf("member %s: API unreachable (%v); its shards count for %.0fs more", name, err, left.Seconds())
	case memberDropped:
		log.Warningf("member %s: API unreachable for %.0fs; its shards no longer count", name, w.m.Grace.Seconds())
	}
	w.state = state
}

// counts reports whether a published shard counts in healthy_shards: with
// an ingress IP, or a hostname resolved to an address (SPEC 4.2.1).
func (w *memberWatch) counts(s federation.PublishedShard) bool {
	if len(s.Ingress) > 0 {
		return true
	}
	return w.hostnames != nil && len(w.hostnames.Addresses(nil, s.Hostnames)) > 0
}

func (w *memberWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}
