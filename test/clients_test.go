//go:build e2e

package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// dig asks name with Debian's dig over net ("udp" or "tcp") and returns the
// status and answer section it printed.
func (s *server) dig(net, name, qtype string) (answer, error) {
	var more []string
	if net == "tcp" {
		more = append(more, "+tcp")
	}
	return s.digWith(name, qtype, more...)
}

// digFrom asks name over UDP from the loopback address src (dig -b), as a
// client at that address would.
func (s *server) digFrom(src, name, qtype string) (answer, error) {
	return s.digWith(name, qtype, "-b", src)
}

// digWith runs dig for name and qtype with more of its options.
func (s *server) digWith(name, qtype string, more ...string) (answer, error) {
	args := append([]string{"@" + s.Host(), "-p", "53", name, qtype, "+noall", "+comments", "+answer", "+authority", "+time=2", "+tries=1"}, more...)
	out, err := exec.Command("dig", args...).CombinedOutput()
	if err != nil {
		return answer{}, fmt.Errorf("dig %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	var a answer
	authority := false
	for line := range strings.SplitSeq(string(out), "\n") {
		if _, after, ok := strings.Cut(line, "status: "); ok {
			a.rcode = strings.TrimSuffix(strings.Fields(after)[0], ",")
			continue
		}
		if _, after, ok := strings.Cut(line, ";; flags: "); ok {
			flags, _, _ := strings.Cut(after, ";")
			a.aa = slices.Contains(strings.Fields(flags), "aa")
			continue
		}
		if strings.HasPrefix(line, ";; AUTHORITY SECTION:") {
			authority = true
		}
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			return answer{}, fmt.Errorf("dig printed %q: %w", line, err)
		}
		switch {
		case !authority:
			a.records = append(a.records, record(rr))
		case rr.Header().Rrtype == dns.TypeSOA:
			a.soa = rr.Header().Name
		}
	}
	return a, nil
}

// expectDig asks with dig over UDP and TCP until both answers are w.
func (s *server) expectDig(t *testing.T, name, qtype string, w answer) {
	t.Helper()
	for _, net := range []string{"udp", "tcp"} {
		s.expectWith(t, "dig "+name+" "+qtype+" over "+net, w, func() (answer, error) { return s.dig(net, name, qtype) })
	}
}

// expectDigFrom is expectDig over UDP from the loopback address src.
func (s *server) expectDigFrom(t *testing.T, src, name, qtype string, w answer) {
	t.Helper()
	s.expectWith(t, "dig "+name+" "+qtype+" from "+src, w, func() (answer, error) { return s.digFrom(src, name, qtype) })
}

// expectWith asks with ask until it gets w, as eventually does.
func (s *server) expectWith(t *testing.T, what string, w answer, ask func() (answer, error)) {
	t.Helper()
	eventually(t, what, func() error {
		got, err := ask()
		if err != nil {
			return err
		}
		if !got.equal(w) {
			return fmt.Errorf("got %v, want %v", got, w)
		}
		return nil
	})
}

// podResolvConf is a pod's resolv.conf in namespace mynamespace, pointing at
// the server.
func (s *server) podResolvConf(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "nameserver " + s.Host() + "\nsearch mynamespace.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:2 attempts:1\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// getent resolves name with the glibc resolver as a pod would: getent ahosts
// in a private mount namespace whose /etc/resolv.conf is the pod's. It
// returns the distinct addresses printed.
func (s *server) getent(t *testing.T, name string) ([]string, error) {
	t.Helper()
	resolv := s.podResolvConf(t)
	out, err := exec.Command("unshare", "-m", "sh", "-c",
		`mount --bind "$1" /etc/resolv.conf && exec getent ahosts "$2"`, "sh", resolv, name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("getent ahosts %s: %w\n%s", name, err, out)
	}
	var addrs []string
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && (len(addrs) == 0 || addrs[len(addrs)-1] != f[0]) {
			addrs = append(addrs, f[0])
		}
	}
	return addrs, nil
}

func (s *server) expectGetent(t *testing.T, name string, addrs ...string) {
	t.Helper()
	eventually(t, "getent ahosts "+name, func() error {
		got, err := s.getent(t, name)
		if err != nil {
			return err
		}
		if strings.Join(got, " ") != strings.Join(addrs, " ") {
			return fmt.Errorf("got %v, want %v", got, addrs)
		}
		return nil
	})
}
