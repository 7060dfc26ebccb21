package federation

import (
	"sync"

	clog "github.com/coredns/coredns/plugin/pkg/log"
)

var log = clog.NewWithPlugin("federation")

// OnceLog logs each distinct cause once, so a cause that fails every query
// or every update shows up once in the log. It remembers at most
// onceLogLimit causes: keys may come from questions and objects that
// tenants choose, and a flood of distinct ones must not grow memory.
type OnceLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

const onceLogLimit = 1024

// Warningf logs the message of format and args unless a message with the
// same key was logged before; it formats only what it logs, so a cause
// that repeats on every query costs no formatting.
func (o *OnceLog) Warningf(key, format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[key] || len(o.seen) >= onceLogLimit {
		return
	}
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	o.seen[key] = true
	log.Warningf(format, args...)
}
