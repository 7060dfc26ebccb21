// Command bench measures the federation plugin against CoreDNS's own
// plugins in one sitting on this machine (`make bench`): dnsperf throughput
// and latency over loopback for a hosts baseline, local answers, chased
// CNAMEs, federation-zone names and whoami; then memory and sync time with
// thousands of watched services; then the scale run, one API server of
// thousands of Services watched 11 times, with and without a selector. It
// writes a Markdown report.
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
	// scaleServices is the size of the scale run (issue 13).
	scaleServices = flag.Int("scale-services", 3000, "services of the one API server of the scale run (0 skips it)")
	perf          = flag.Bool("dnsperf", true, "run the dnsperf scenarios")
	profiles      = flag.String("profiles", "", "a folder for the heap profile of each server whose memory is measured")
	out           = flag.String("out", "bench/results.md", "where the report goes")
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
	if *perf {
		if err := dnsperfReport(&report, bin, coredns, filepath.Join(dir, "dnsperf")); err != nil {
			return err
		}
	}
	if *scale > 0 {
		if err := memoryReport(&report, bin, coredns, filepath.Join(dir, "memory")); err != nil {
			return err
		}
	}
	if *scaleServices > 0 {
		if err := scaleReport(&report, bin, coredns, filepath.Join(dir, "scale")); err != nil {
			return err
		}
		if err := membersReport(&report, bin, coredns, filepath.Join(dir, "members")); err != nil {
			return err
		}
	}
	fmt.Print(report.String())
	return os.WriteFile(*out, []byte(report.String()), 0o644)
}

// server is a CoreDNS started by startServer and its ports.
type server struct {
	*testbed.CoreDNS
	port    int // DNS
	metrics int // %[3]d: metrics or readiness
	pprof   int // %[4]d: pprof, where the Corefile has it
}

// startServer runs bin/coredns on a Corefile template whose %[1]s is the
// listen host, %[2]d the DNS port, %[3]d and %[4]d free ports for metrics,
// readiness or pprof, in its own folder under dir.
func startServer(coredns, dir, name, corefile string) (server, error) {
	var ports [3]int
	for i := range ports {
		p, err := testbed.FreePort()
		if err != nil {
			return server{}, err
		}
		ports[i] = p
	}
	sdir := filepath.Join(dir, name)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return server{}, err
	}
	c, err := testbed.StartCoreDNS(coredns, sdir, fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf(corefile, "127.0.0.1", ports[0], ports[1], ports[2]))
	return server{CoreDNS: c, port: ports[0], metrics: ports[1], pprof: ports[2]}, err
}
