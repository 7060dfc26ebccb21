//go:build e2e

// Package test holds the end-to-end tests: the built bin/coredns against real
// kube-apiservers of the test bed, asked by real clients (dig, the glibc
// resolver, a Prometheus scrape). Run them with `make e2e`.
package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"
)

// bed is the seed federation, shared by every test; each test leaves it as
// it found it.
var bed *testbed.Bed

// coredns is the path of the built CoreDNS binary.
var coredns string

func TestMain(m *testing.M) {
	if name := os.Getenv(goResolveEnv); name != "" {
		os.Exit(goResolve(name))
	}
	os.Exit(run(m))
}

// goResolveEnv makes the test binary a client of Go's own resolver: it
// resolves the name the variable holds, prints the addresses and exits
// (expectGoResolver).
const goResolveEnv = "FEDERATION_GO_RESOLVE"

func goResolve(name string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := (&net.Resolver{PreferGo: true}).LookupHost(ctx, name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(strings.Join(addrs, "\n"))
	return 0
}

func run(m *testing.M) int {
	bin, ok := os.LookupEnv("FEDERATION_TESTBED")
	coredns, _ = filepath.Abs(os.Getenv("FEDERATION_COREDNS"))
	if !ok || os.Getenv("FEDERATION_COREDNS") == "" {
		fmt.Fprintln(os.Stderr, "FEDERATION_TESTBED and FEDERATION_COREDNS must be set: run `make e2e`")
		return 1
	}
	dir, err := os.MkdirTemp("", "federation-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bed, err = testbed.Start(bin, dir, testbed.ClusterNames(testbed.SeedFederation)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test bed:", err)
		return 1
	}
	defer bed.Stop()
	for _, s := range testbed.SeedFederation {
		if err := bed.Cluster(s.Cluster).Seed(s); err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			return 1
		}
	}
	code := m.Run()
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "test bed logs kept in", dir)
	}
	return code
}
