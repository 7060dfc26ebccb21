package plugin

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// TestQueriesDuringUpdates asks web from several goroutines while its
// EndpointSlice and a second service change underneath: under the race
// detector (make test runs unit tests with -race) nothing races, and every
// answer is one of the two right ones, never a mix or an error.
func TestQueriesDuringUpdates(t *testing.T) {
	fx := newFixture(t, topo, "")
	fx.createService(service("web", "10.0.0.1", "10.0.0.1"))
	fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, true, "10.1.0.1"))
	fx.expectNow(healthyWeb)

	var stop atomic.Bool
	var wrong, asked atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				resp, _, err := fx.ask(web, dns.TypeA)
				asked.Add(1)
				if err != nil || resp == nil || (check(resp, healthyWeb) != nil && check(resp, unhealthy) != nil) {
					if wrong.Add(1) == 1 {
						t.Errorf("Expected the healthy or the unhealthy answer, got %v %v", resp, err)
					}
				}
			}
		})
	}
	for i := range 60 {
		fx.applySlice(endpointSlice("web", discoveryv1.AddressTypeIPv4, i%2 == 1, "10.1.0.1"))
	}
	stop.Store(true)
	wg.Wait()
	if asked.Load() == 0 || wrong.Load() != 0 {
		t.Errorf("Expected every one of %d answers right, %d were not", asked.Load(), wrong.Load())
	}
}
