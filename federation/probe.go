package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// A watch on a connection that a black hole swallows (packets dropped, a
// frozen proxy) neither ends nor errs for minutes. The probe asks the API
// for its version every probeInterval, each time allowed probeTimeout, over
// the clients' shared connection: a black hole fails it within
// probeInterval+probeTimeout, inside the 15s of SPEC 4.5.1.
const (
	probeInterval = 5 * time.Second
	probeTimeout  = 5 * time.Second
)

// versionProbe returns a call of the API's /version over client's
// connection, or nil for a client without one (the fake clientset).
func versionProbe(client kubernetes.Interface) func(context.Context) error {
	rc, ok := client.Discovery().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		return nil
	}
	return func(ctx context.Context) error {
		err := rc.Get().AbsPath("/version").Do(ctx).Error()
		var status apierrors.APIStatus
		if errors.As(err, &status) {
			return nil // the API answered, if only to refuse
		}
		return err
	}
}

// probeLoop probes the API at once and then every probeInterval until ctx
// ends, and reports each outcome as the resource "api". While the API
// does not answer it probes every retryMax, so a member whose API is back
// counts again within that (SPEC 4.5.3).
func (c *Cluster) probeLoop(ctx context.Context) {
	for {
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := c.probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", probeTimeout)
		}
		c.contact.observe("api", err)
		next := probeInterval // from the last probe's start, however long it took
		if err != nil {
			next = retryMax
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(next))):
		}
	}
}
