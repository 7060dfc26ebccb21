package federation

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestCallRetriesUntilAnswered: a call the API does not answer is made
// again here, every failure a failed contact, until it is answered; the
// reflector sees only the answer, so client-go's backoff never delays a
// member's return (SPEC 4.5.3).
func TestCallRetriesUntilAnswered(t *testing.T) {
	var c contact
	changes := 0
	c.onChange = func() { changes++ }
	calls := 0
	err := c.call(t.Context(), "services", false, func() error {
		if calls++; calls < 3 {
			return syscall.ECONNREFUSED
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Expected success at the third call, got %v after %d", err, calls)
	}
	if since, _ := c.down(); !since.IsZero() || changes != 2 {
		t.Errorf("Expected the contact failed then back (2 changes), got down since %v, %d changes", since, changes)
	}
}

// TestCallStreamingListRefusedIsFallback: an API server whose WatchList
// gate is off answers a streaming list with 422; the call returns it at
// once for client-go to list the classic way, and it is no failed contact
// (SPEC 4.5.3). A plain call's refusal is one.
func TestCallStreamingListRefusedIsFallback(t *testing.T) {
	refused := apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "watch", schema.GroupResource{Resource: "services"}, "", "sendInitialEvents is forbidden", 0, false)
	var c contact
	calls := 0
	err := c.call(t.Context(), "services", true, func() error { calls++; return refused })
	if !errors.Is(err, refused) || calls != 1 {
		t.Fatalf("Expected the 422 returned at once, got %v after %d calls", err, calls)
	}
	if since, _ := c.down(); !since.IsZero() {
		t.Errorf("Expected no failed contact for a refused streaming list, down since %v", since)
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	err = c.call(ctx, "services", false, func() error {
		if calls++; calls > 1 {
			cancel() // stop the retries: the test has seen one
		}
		return refused
	})
	if since, _ := c.down(); since.IsZero() || !errors.Is(err, refused) {
		t.Errorf("Expected a plain call's 422 to be a failed contact, got %v, down since %v", err, since)
	}
}

// TestCallAnsweredStandIn: a call the API refuses for good before the
// first list (ServiceExports without a role) stands in with no result: it
// is one failed contact, whose start does not move with each recheck, so
// the member's grace runs from the first refusal (SPEC 4.5).
func TestCallAnsweredStandIn(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "serviceexports"}, "", errors.New("no role"))
	var c contact
	if err := c.call(t.Context(), "serviceexports", false, func() error { return answered{err: forbidden} }); err != nil {
		t.Fatalf("Expected the stand-in to end the call, got %v", err)
	}
	first, err := c.down()
	if first.IsZero() || !apierrors.IsForbidden(err) {
		t.Fatalf("Expected the 403 as a failed contact, got %v since %v", err, first)
	}
	_ = c.call(t.Context(), "serviceexports", false, func() error { return answered{err: forbidden} })
	if again, _ := c.down(); !again.Equal(first) {
		t.Errorf("Expected the failure to date from the first refusal %v, got %v", first, again)
	}
	_ = c.call(t.Context(), "serviceexports", false, func() error { return answered{} }) // 404: no CRD, no failure
	if since, _ := c.down(); !since.IsZero() {
		t.Errorf("Expected a missing CRD to be no failed contact, down since %v", since)
	}
}
