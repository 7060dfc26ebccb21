//go:build e2e

package test

import (
	"fmt"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLargeAnswersTruncate asks for a headless service of 100 ready
// endpoints with EDNS0 buffer sizes from 512 to 4096: over UDP an answer
// that does not fit comes truncated (TC set, within the buffer), over TCP
// it is whole.
func TestLargeAnswersTruncate(t *testing.T) {
	local := bed.Cluster(localCluster)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: testbed.Namespace},
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "big"}},
	}
	if _, err := local.Client.CoreV1().Services(testbed.Namespace).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.DeleteService("big") })
	if err := local.SetEndpoints("big", localZone, 100, true); err != nil {
		t.Fatal(err)
	}
	s := localServer(t)
	name := "big.mynamespace.myfederation.svc.cluster.local."
	ask := func(net string, bufsize uint16) (*dns.Msg, error) {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.SetEdns0(bufsize, true) // the DO bit too: the plugin does not sign
		c := &dns.Client{Net: net, Timeout: 2 * time.Second, UDPSize: 65535}
		r, _, err := c.Exchange(m, s.Addr)
		return r, err
	}
	eventually(t, "the whole answer over TCP", func() error {
		r, err := ask("tcp", 512)
		if err != nil {
			return err
		}
		if len(r.Answer) != 100 || r.Truncated {
			return fmt.Errorf("got %d records, truncated %v", len(r.Answer), r.Truncated)
		}
		return nil
	})
	for _, size := range []uint16{512, 1232, 4096} {
		r, err := ask("udp", size)
		if err != nil {
			t.Fatal(err)
		}
		r.Compress = true // as the server sent it
		wire, _ := r.Pack()
		whole := len(r.Answer) == 100
		if len(wire) > int(size) || whole == r.Truncated {
			t.Errorf("Buffer %d: %d bytes, %d records, truncated %v", size, len(wire), len(r.Answer), r.Truncated)
		}
		if size == 4096 && !whole {
			t.Errorf("Buffer 4096: expected all 100 records, got %d", len(r.Answer))
		}
		if size == 512 && whole {
			t.Error("Buffer 512: expected a truncated answer")
		}
	}
}
