package federation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// A call that the API does not answer is made again here, every
// retryMax at most, rather than handed back to client-go's reflector,
// whose backoff grows to a minute: after an outage of any length the
// member counts again within retryMax of its API answering (SPEC 4.5.3).
// The reflector's store keeps its objects meanwhile, as the grace needs.
// A call the API answered with an error (401, 403, 5xx) is made again
// less often, every retryAnswered at most: the API is up and every
// replica asks it. Each wait is spread by up to a fifth either way, so
// replicas do not ask in step.
const (
	retryFirst    = 200 * time.Millisecond
	retryMax      = time.Second
	retryAnswered = 3 * time.Second
)

// call makes fn until the API answers it and reports each outcome to c as
// resource's. It returns fn's error when the API answered (nil, a
// resource version that expired: a normal relist follows) or ctx ended.
// A streaming list (watchList) that the API refuses with a status (422
// where the WatchList feature is off) is a protocol fallback, neither
// retried nor a failed contact: client-go lists the classic way next.
func (c *contact) call(ctx context.Context, resource string, watchList bool, fn func() error) error {
	delay := retryFirst
	for {
		err := fn()
		var done answered
		switch {
		case ctx.Err() != nil:
			return err
		case watchList && isStatus(err):
			return err
		case errors.As(err, &done):
			c.observe(resource, done.err)
			return nil
		case err == nil || expired(err):
			c.observe(resource, err)
			return err
		}
		c.observe(resource, err)
		limit := retryMax
		if isStatus(err) {
			limit = retryAnswered
		}
		delay = min(delay, limit)
		wait := delay + time.Duration(rand.Int64N(int64(delay)*2/5)) - delay/5 //nolint:gosec // jitter, not a secret
		if s, ok := apierrors.SuggestsClientDelay(err); ok {
			wait = max(wait, time.Duration(s)*time.Second) // 429: as long as the API asks
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		delay = min(2*delay, limit)
	}
}

// answered is what a call's fn returns when the API answered with err and
// the call is done all the same, with a result that stands for it (no
// ServiceExports where the CRD is missing): call reports err, and returns
// nil.
type answered struct{ err error }

func (a answered) Error() string { return fmt.Sprintf("answered: %v", a.err) }

// isStatus reports whether err is a status the API answered with.
func isStatus(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}
