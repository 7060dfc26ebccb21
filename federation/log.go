package federation

import (
	"container/list"
	"sync"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"
)

var log = clog.NewWithPlugin("federation")

// OnceLog rate-limits warnings by cause: each key logs at most once per
// onceLogPeriod, so a cause that fails every query or every update shows
// up now and then, not on each. Keys may come from questions and objects
// that tenants choose, so it remembers at most onceLogLimit of them; when
// full it forgets the oldest, and a new key is always logged. The zero
// value is ready to use.
type OnceLog struct {
	mu    sync.Mutex
	keys  map[string]*list.Element // of order
	order list.List                // *onceLogEntry, oldest first
	now   func() time.Time         // nil means time.Now; for tests
	// overflowed is when a new cause last logged while the log was full.
	overflowed time.Time
}

type onceLogEntry struct {
	key string
	at  time.Time // when the key last logged
}

const (
	onceLogLimit  = 1024
	onceLogPeriod = 10 * time.Minute
	// onceLogOverflow is how often a new cause logs while the log is full.
	onceLogOverflow = time.Second
)

// Warningf logs the message of format and args unless a message with the
// same key was logged within onceLogPeriod; it formats only what it logs,
// so a cause that repeats on every query costs no formatting.
func (o *OnceLog) Warningf(key, format string, args ...any) {
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	if o.allow(key, now()) {
		log.Warningf(format, args...)
	}
}

// allow reports whether key may log at now, and if so remembers it.
func (o *OnceLog) allow(key string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Forget the keys whose period has passed: they are the oldest.
	for e := o.order.Front(); e != nil && now.Sub(e.Value.(*onceLogEntry).at) >= onceLogPeriod; e = o.order.Front() {
		o.forget(e)
	}
	if _, ok := o.keys[key]; ok {
		return false
	}
	if len(o.keys) >= onceLogLimit {
		// More causes than it remembers within their period, a flood:
		// a new one logs at most once per onceLogOverflow, in place of
		// the oldest, so the log neither goes silent nor floods.
		if now.Sub(o.overflowed) < onceLogOverflow {
			return false
		}
		o.overflowed = now
		o.forget(o.order.Front())
	}
	if o.keys == nil {
		o.keys = map[string]*list.Element{}
	}
	o.keys[key] = o.order.PushBack(&onceLogEntry{key: key, at: now})
	return true
}

func (o *OnceLog) forget(e *list.Element) {
	delete(o.keys, o.order.Remove(e).(*onceLogEntry).key)
}
