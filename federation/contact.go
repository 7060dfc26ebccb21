package federation

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
)

// contact tracks whether a cluster's API answers: every list and watch call
// reports its outcome, and a change of state is announced once.
type contact struct {
	mu          sync.Mutex
	failedSince time.Time // zero while the API answers
	lastErr     error
	onChange    func()
}

// observe records the outcome of one call to the API.
func (c *contact) observe(err error) {
	if errors.Is(err, context.Canceled) {
		return // we are stopping; the API said nothing
	}
	c.mu.Lock()
	changed := false
	switch {
	case err == nil && !c.failedSince.IsZero():
		c.failedSince, c.lastErr, changed = time.Time{}, nil, true
	case err != nil && c.failedSince.IsZero():
		c.failedSince, c.lastErr, changed = time.Now(), err, true
	case err != nil:
		c.lastErr = err
	}
	notify := c.onChange
	c.mu.Unlock()
	if changed && notify != nil {
		notify()
	}
}

// watchError is a cache.WatchErrorHandler: a watch that ends because the
// connection broke counts as a failed contact; one that ended normally or
// whose resource version expired (410 Gone, followed by a relist) does not.
func (c *contact) watchError(_ context.Context, _ *cache.Reflector, err error) {
	if errors.Is(err, io.EOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		return
	}
	c.observe(err)
}

// down returns when the API stopped answering, or the zero time while it answers.
func (c *contact) down() (since time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failedSince, c.lastErr
}
