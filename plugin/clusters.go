package plugin

import (
	"context"
	"sync"
	"time"

	"github.com/federated-dns/federation/federation"
)

// LocalCluster names the local cluster in metrics.
const LocalCluster = "local"

// Start starts watching the local cluster and every member; a cluster that
// is both is watched once. It does not wait for the caches.
func (f *Federation) Start() {
	local := &localWatch{c: f.Local}
	notify := map[*federation.Cluster][]func(){f.Local: {local.update}}
	order := []*federation.Cluster{f.Local}
	f.watches = nil
	for _, m := range f.Members {
		w := &memberWatch{m: m, hostnames: f.Hostnames}
		f.watches = append(f.watches, w)
		if _, ok := notify[m.Cluster]; !ok {
			order = append(order, m.Cluster)
		}
		notify[m.Cluster] = append(notify[m.Cluster], w.update)
	}
	holdSeries(f.seriesNames())
	if f.Hostnames != nil {
		ctx, cancel := context.WithCancel(context.Background())
		f.stopHostnames = cancel
		f.background.Go(func() { f.Hostnames.Run(ctx) })
	}
	for _, c := range order {
		fns := notify[c]
		c.Start(func() {
			for _, fn := range fns {
				fn()
			}
		})
	}
}

// Stop stops every watch and waits for its goroutines.
func (f *Federation) Stop() {
	f.Local.Stop()
	for _, w := range f.watches {
		w.m.Stop()
		w.stop()
	}
	if f.stopHostnames != nil {
		f.stopHostnames()
		f.background.Wait()
	}
	releaseSeries(f.seriesNames())
}

// seriesNames are the cluster labels of this instance's metric series.
func (f *Federation) seriesNames() []string {
	names := []string{LocalCluster}
	for _, m := range f.Members {
		names = append(names, m.Name)
	}
	return names
}

// WaitForSync waits up to timeout for every cluster's caches to sync.
func (f *Federation) WaitForSync(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	if !f.Local.WaitForSync(timeout) {
		return false
	}
	for _, m := range f.Members {
		if !m.WaitForSync(time.Until(deadline)) {
			return false
		}
	}
	return true
}

// settled reports whether every member's shards are known (SPEC 3.5, 4.5).
func (f *Federation) settled(now time.Time) bool {
	for _, m := range f.Members {
		if !m.Settled(now) {
			return false
		}
	}
	return true
}

// shards returns the published shards of the service namespace/name in the
// members whose shards count now. A member watched through unhealthy, the
// local cluster's watch whose shard was just found unhealthy, is left out:
// a shard without ready endpoints is not published, and leaving it out
// keeps one answer from mixing the watch's state before and after a change
// (its store is updated a moment before its lookups' memos are).
func (f *Federation) shards(namespace, name string, now time.Time, unhealthy *federation.Cluster) []federation.PublishedShard {
	shards := make([]federation.PublishedShard, 0, len(f.Members))
	for _, m := range f.Members {
		if !m.Usable(now) || (unhealthy != nil && m.Cluster == unhealthy) {
			continue
		}
		s, ok := m.PublishedShard(namespace, name)
		if !ok {
			continue
		}
		if len(s.Hostnames) > 0 && f.Hostnames != nil {
			s.Ingress = f.Hostnames.Addresses(s.Ingress, s.Hostnames)
		}
		if len(s.Ingress) == 0 {
			continue // a hostname not resolved yet (SPEC 4.2.1)
		}
		s.Cluster = m.Name
		shards = append(shards, s)
	}
	return shards
}

// localWatch keeps the local cluster's metric current and logs each change
// of its API's state once.
type localWatch struct {
	c    *federation.Cluster
	mu   sync.Mutex
	down bool
}

func (w *localWatch) update() {
	w.mu.Lock()
	defer w.mu.Unlock()
	UpdateSynced(LocalCluster, w.c.Synced())
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
		healthy, hostnames = w.m.CountPublished()
	}
	if w.hostnames != nil {
		w.hostnames.Want(name, hostnames)
	}
	healthyShards.WithLabelValues(name).Set(float64(healthy))

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

func (w *memberWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}
