// Command demo serves the demo federation of `make run`: four simulated
// clusters on loopback (real etcd and kube-apiservers), the seed nginx
// service in each, and bin/coredns serving Corefile.example as the DNS of
// cluster gce-us-central1. `demo scale CLUSTER N` changes a running demo's
// shard to N ready endpoints.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/federated-dns/federation/test/testbed"
)

const (
	dnsPort     = "1053"
	metricsPort = "9153"
	readyPort   = "8181"
	local       = "gce-us-central1"
)

func main() {
	// The demo's state lives beside the binary: <repo>/.cache/demo.
	exe, err := os.Executable()
	state := filepath.Join(filepath.Dir(exe), "..", ".cache", "demo")
	if err == nil {
		if len(os.Args) > 1 {
			err = command(state, os.Args[1:])
		} else {
			err = serve(state)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func command(state string, args []string) error {
	if len(args) != 3 || args[0] != "scale" {
		return fmt.Errorf("usage: demo [scale CLUSTER N]")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 0 || n > 100 {
		return fmt.Errorf("n must be a number of endpoints from 0 to 100: %q", args[2])
	}
	for _, s := range testbed.SeedFederation {
		if s.Cluster != args[1] {
			continue
		}
		c, err := testbed.Attach(state, s.Cluster)
		if err != nil {
			return err
		}
		if err := c.SetEndpoints(testbed.Service, s.Zone, n, true); err != nil {
			return err
		}
		fmt.Printf("%s: nginx now has %d ready endpoints\n", s.Cluster, n)
		return nil
	}
	return fmt.Errorf("no cluster %q in the demo; clusters: %v", args[1], testbed.ClusterNames(testbed.SeedFederation))
}

func serve(state string) error {
	bin := os.Getenv("FEDERATION_TESTBED")
	coredns := os.Getenv("FEDERATION_COREDNS")
	if bin == "" || coredns == "" {
		return fmt.Errorf("FEDERATION_TESTBED and FEDERATION_COREDNS must be set: run `make run`")
	}
	if err := os.RemoveAll(state); err != nil {
		return err
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	fmt.Println("starting four clusters (etcd and a kube-apiserver each) in", state)
	bed, err := testbed.Start(bin, state, testbed.ClusterNames(testbed.SeedFederation)...)
	if err != nil {
		return err
	}
	defer bed.Stop()
	for _, s := range testbed.SeedFederation {
		if err := bed.Cluster(s.Cluster).Seed(s); err != nil {
			return err
		}
		fmt.Printf("  %-17s zone %-15s nginx ingress %s\n", s.Cluster, s.Zone, s.Ingress)
	}

	corefile, err := os.ReadFile("Corefile.example")
	if err != nil {
		return err
	}
	for k, v := range map[string]string{
		"FEDERATION_DEMO": state, "FEDERATION_DNS_PORT": dnsPort,
		"FEDERATION_METRICS_PORT": metricsPort, "FEDERATION_READY_PORT": readyPort,
	} {
		os.Setenv(k, v)
	}
	dns, err := testbed.StartCoreDNS(coredns, state, "127.0.0.1:"+dnsPort, string(corefile))
	if err != nil {
		return fmt.Errorf("coredns (is port %s free?): %w", dnsPort, err)
	}
	defer dns.Stop()
	printTryThis()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Println("\nstopping CoreDNS and the clusters")
	return nil
}

func printTryThis() {
	d := "dig @127.0.0.1 -p " + dnsPort + " "
	demo, _ := filepath.Abs("bin/demo")
	fmt.Printf(`
CoreDNS serves Corefile.example on 127.0.0.1:%[1]s as the DNS of cluster %[2]s
(metrics: http://127.0.0.1:%[3]s/metrics, readiness: http://127.0.0.1:%[4]s/ready).

The federated name, answered locally while the local shard is healthy:
  %[5]snginx.mynamespace.myfederation.svc.cluster.local A

Fail the local shard over (scale it to zero), ask again, then restore it:
  %[6]s scale %[2]s 0
  %[5]snginx.mynamespace.myfederation.svc.cluster.local A
  %[6]s scale %[2]s 2

The federation zone: zone, region and global levels:
  %[5]snginx.mynamespace.myfederation.svc.us-central1-b.us-central1.example.com A
  %[5]snginx.mynamespace.myfederation.svc.us-central1.example.com A
  %[5]snginx.mynamespace.myfederation.svc.europe-west1-b.europe-west1.example.com A
  %[5]snginx.mynamespace.myfederation.svc.example.com A

Press Ctrl-C to stop.
`, dnsPort, local, metricsPort, readyPort, d, demo)
}
