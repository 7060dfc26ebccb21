package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// contact tracks whether a cluster's API answers, per watched resource (SPEC
// 4.5.1): every list and watch call of a resource reports its outcome, and
// the cluster is down while any resource's last call failed, so an API that
// answers Services but refuses EndpointSlices is down, not flapping. A
// change of state is announced once.
type contact struct {
	mu       sync.Mutex
	failing  map[string]failure // by resource; absent while it answers
	onChange func()
}

type failure struct {
	since time.Time
	err   error
}

// observe records the outcome of one call to the API for resource.
func (c *contact) observe(resource string, err error) {
	if errors.Is(err, context.Canceled) || expired(err) {
		return // we are stopping, or a normal relist follows: the API answered
	}
	c.mu.Lock()
	_, was := c.failing[resource]
	switch {
	case err == nil:
		delete(c.failing, resource)
	case !was:
		if c.failing == nil {
			c.failing = map[string]failure{}
		}
		c.failing[resource] = failure{since: time.Now(), err: fmt.Errorf("%s: %w", resource, err)}
	default:
		f := c.failing[resource]
		f.err = fmt.Errorf("%s: %w", resource, err)
		c.failing[resource] = f
	}
	_, is := c.failing[resource]
	notify := c.onChange
	c.mu.Unlock()
	if was != is && notify != nil {
		notify()
	}
}

// watchError is a cache.WatchErrorHandler for resource: a watch that ends
// because the connection broke counts as a failed contact; one that ended
// normally does not.
func (c *contact) watchError(resource string, err error) {
	if errors.Is(err, io.EOF) {
		return
	}
	c.observe(resource, err)
}

// expired reports whether err ends a watch or list for a normal relist: 410
// Gone (the resource version expired) or a resource version the API has not
// seen yet.
func expired(err error) bool {
	return apierrors.IsResourceExpired(err) || apierrors.IsGone(err) ||
		apierrors.HasStatusCause(err, metav1.CauseTypeResourceVersionTooLarge)
}

// down returns since when the API has not answered (the earliest failure of
// any resource) and that failure's error, or the zero time while it answers.
func (c *contact) down() (since time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.failing {
		if since.IsZero() || f.since.Before(since) {
			since, err = f.since, f.err
		}
	}
	return since, err
}
