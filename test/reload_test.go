//go:build e2e

package test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// TestReload reloads CoreDNS (SIGUSR1) with a changed Corefile, then with a
// broken one, under a steady query load: the change takes effect, the broken
// file is refused with its line and the last good one keeps serving, no
// answer is wrong, and the goroutines of the old watches are gone.
func TestReload(t *testing.T) {
	s := startFederationServer(t, "30s")
	restoreNginx(t)
	ip := clusterIP(t, localCluster, testbed.Service)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+ip))
	conf := s.ConfPath()
	original, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	ttl := func() (uint32, error) {
		m, err := s.Exchange("udp", nginx, dns.TypeA)
		if err != nil {
			return 0, err
		}
		if len(m.Answer) != 1 {
			return 0, fmt.Errorf("got %v", m.Answer)
		}
		return m.Answer[0].Header().Ttl, nil
	}
	expectTTL := func(want uint32) {
		t.Helper()
		eventually(t, fmt.Sprintf("ttl %d", want), func() error {
			got, err := ttl()
			if err != nil || got != want {
				return fmt.Errorf("ttl %d, %v", got, err)
			}
			return nil
		})
	}
	before := s.goroutines(t)

	// A steady load for the whole test: every answer must be the right one.
	finish := load(t, s, nginx, dns.TypeA, func(m *dns.Msg) bool {
		return m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 && m.Answer[0].(*dns.A).A.String() == ip
	})

	for _, ttlValue := range []string{"7", "9", "7"} {
		changed := strings.Replace(string(original), "ttl 5", "ttl "+ttlValue, 1)
		if err := os.WriteFile(conf, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(); err != nil {
			t.Fatal(err)
		}
		expectTTL(map[string]uint32{"7": 7, "9": 9}[ttlValue])
	}

	broken := strings.Replace(string(original), "ttl 5", "ttl 9999", 1)
	if err := os.WriteFile(conf, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal in the log", func() error {
		if !strings.Contains(s.Log(), "plugin/federation: ") || !strings.Contains(s.Log(), "ttl must be an integer in range [0, 3600]: 9999") {
			return fmt.Errorf("no refusal logged:\n%s", s.Log())
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	expectTTL(7) // the last good Corefile still serves
	finish(20)

	s.expectGoroutinesBack(t, before)
	if !s.Running() {
		t.Fatal("CoreDNS exited")
	}
}
