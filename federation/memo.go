package federation

import "sync"

// memo remembers results computed from a cluster's caches for one
// generation of its objects; any change of an object starts a new
// generation and forgets them all. Lookups on the hot path then cost a map
// read instead of index scans.
type memo[K comparable, T any] struct {
	mu   sync.RWMutex
	gen  uint64
	vals map[K]T
}

// get returns the current generation and the value remembered for key.
func (m *memo[K, T]) get(key K) (uint64, T, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.vals[key]
	return m.gen, v, ok
}

// put remembers v for key, unless the generation has moved on since get.
func (m *memo[K, T]) put(gen uint64, key K, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen {
		return
	}
	if m.vals == nil {
		m.vals = map[K]T{}
	}
	m.vals[key] = v
}

// invalidate starts a new generation.
func (m *memo[K, T]) invalidate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.vals = nil
}
