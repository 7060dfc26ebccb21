// Command bench measures the federation plugin against CoreDNS's own
// plugins in one sitting on this machine (`make bench`): dnsperf throughput
// and latency over loopback for a hosts baseline, local answers, chased
// CNAMEs, federation-zone names and whoami; then memory and sync time with
// thousands of watched services. It writes a Markdown report.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/federated-dns/federation/test/testbed"
)

var (
	names    = flag.Int("names", 100, "distinct names per scenario")
	duration = flag.Duration("duration", 5*time.Second, "length of one dnsperf run")
	rounds   = flag.Int("rounds", 5, "interleaved rounds of every scenario")
	scale    = flag.Int("scale", 10000, "services per cluster in the memory test (0 skips it)")
	out      = flag.String("out", "bench/results.md", "where the report goes")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	bin, coredns := os.Getenv("FEDERATION_TESTBED"), os.Getenv("FEDERATION_COREDNS")
	if bin == "" || coredns == "" {
		return fmt.Errorf("FEDERATION_TESTBED and FEDERATION_COREDNS must be set: run `make bench`")
	}
	dir, err := os.MkdirTemp("", "federation-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var report strings.Builder
	fmt.Fprintf(&report, "# Results of `make bench`, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if err := dnsperfReport(&report, bin, coredns, filepath.Join(dir, "dnsperf")); err != nil {
		return err
	}
	if *scale > 0 {
		if err := memoryReport(&report, bin, coredns, filepath.Join(dir, "memory")); err != nil {
			return err
		}
	}
	fmt.Print(report.String())
	return os.WriteFile(*out, []byte(report.String()), 0o644)
}

// startServer runs bin/coredns on a Corefile template whose %[1]s is the
// listen host, %[2]d the DNS port and %[3]d a free port for metrics or
// readiness, in its own folder under dir. It returns the DNS port and the
// other one.
func startServer(coredns, dir, name, corefile string) (*testbed.CoreDNS, int, int, error) {
	port, err := testbed.FreePort()
	if err != nil {
		return nil, 0, 0, err
	}
	other, err := testbed.FreePort()
	if err != nil {
		return nil, 0, 0, err
	}
	sdir := filepath.Join(dir, name)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return nil, 0, 0, err
	}
	c, err := testbed.StartCoreDNS(coredns, sdir, fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf(corefile, "127.0.0.1", port, other))
	return c, port, other, err
}
