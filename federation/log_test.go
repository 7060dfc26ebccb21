package federation

import (
	"strconv"
	"sync"
	"testing"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"
)

func init() { clog.Discard() }

var onceLogT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestOnceLogPeriod(t *testing.T) {
	var o OnceLog
	const period = 10 * time.Minute // the rate, pinned here rather than read from the code
	tests := []struct {
		key  string
		at   time.Duration // after onceLogT0
		want bool
	}{
		{"a", 0, true},
		{"a", 0, false},
		{"b", time.Minute, true},
		{"a", period - time.Nanosecond, false},
		{"a", period, true},
		{"b", period, false},
		{"a", period + time.Minute, false},
		{"b", period + time.Minute, true},
		{"a", 2 * period, true},
	}
	for i, tc := range tests {
		if got := o.allow(tc.key, onceLogT0.Add(tc.at)); got != tc.want {
			t.Errorf("Test %d: expected %q at %v to log %v, got %v", i, tc.key, tc.at, tc.want, got)
		}
	}
}

// TestOnceLogFull: a flood of distinct keys does not silence a new one;
// the oldest are forgotten first.
func TestOnceLogFull(t *testing.T) {
	var o OnceLog
	n := onceLogLimit + 100
	at := func(i int) time.Time { // the flood: past the limit, one a second
		return onceLogT0.Add(time.Duration(max(0, i-onceLogLimit+1)) * onceLogOverflow)
	}
	for i := range n {
		if !o.allow(strconv.Itoa(i), at(i)) {
			t.Fatalf("Expected distinct key %d to log", i)
		}
	}
	later := at(n)
	if !o.allow("new", later) {
		t.Error("Expected a new key to log after a flood of distinct keys")
	}
	if o.allow("newer", later) {
		t.Error("Expected a second new key within onceLogOverflow of the first, while full, not to log")
	}
	if !o.allow("newer", later.Add(onceLogOverflow)) {
		t.Error("Expected the second new key to log onceLogOverflow later")
	}
	if o.allow(strconv.Itoa(n-1), later) {
		t.Error("Expected the newest key of the flood still remembered")
	}
	if !o.allow("0", later.Add(2*onceLogOverflow)) {
		t.Error("Expected the oldest key of the flood forgotten")
	}
}

// TestOnceLogExpiredFirst: when full, the keys whose period has passed go
// before any other.
func TestOnceLogExpiredFirst(t *testing.T) {
	var o OnceLog
	half := onceLogLimit / 2
	for i := range onceLogLimit {
		at := onceLogT0
		if i >= half {
			at = onceLogT0.Add(onceLogPeriod / 2)
		}
		o.allow(strconv.Itoa(i), at)
	}
	if !o.allow("new", onceLogT0.Add(onceLogPeriod)) {
		t.Fatal("Expected a new key to log")
	}
	if len(o.keys) != onceLogLimit-half+1 {
		t.Errorf("Expected %d keys remembered, got %d", onceLogLimit-half+1, len(o.keys))
	}
	for _, i := range []int{half, onceLogLimit - 1} {
		if o.allow(strconv.Itoa(i), onceLogT0.Add(onceLogPeriod)) {
			t.Errorf("Expected key %d, within its period, still remembered", i)
		}
	}
}

func TestOnceLogBounded(t *testing.T) {
	var o OnceLog
	for i := range 10 * onceLogLimit {
		o.allow(strconv.Itoa(i), onceLogT0.Add(time.Duration(i)*time.Millisecond))
		if len(o.keys) > onceLogLimit || o.order.Len() != len(o.keys) {
			t.Fatalf("Expected at most %d keys, got %d (list %d) after %d", onceLogLimit, len(o.keys), o.order.Len(), i+1)
		}
	}
}

// formatCount counts how often it is formatted.
type formatCount struct{ n int }

func (f *formatCount) String() string { f.n++; return "cause" }

// TestOnceLogWarningf: Warningf reads the clock of now and formats only
// what it logs.
func TestOnceLogWarningf(t *testing.T) {
	now := onceLogT0
	o := OnceLog{now: func() time.Time { return now }}
	tests := []struct {
		advance time.Duration
		logged  bool
	}{
		{0, true},
		{time.Minute, false},
		{onceLogPeriod, true},
	}
	for i, tc := range tests {
		now = now.Add(tc.advance)
		var f formatCount
		o.Warningf("k", "%v", &f)
		if (f.n > 0) != tc.logged {
			t.Errorf("Test %d: expected logged %v, formatted %d times", i, tc.logged, f.n)
		}
	}
}

func TestOnceLogConcurrent(t *testing.T) {
	var o OnceLog
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range onceLogLimit {
				o.Warningf(strconv.Itoa(g*onceLogLimit/2+i), "%d", i)
			}
		})
	}
	wg.Wait()
	if len(o.keys) > onceLogLimit {
		t.Errorf("Expected at most %d keys, got %d", onceLogLimit, len(o.keys))
	}
}
