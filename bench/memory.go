package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// footprint is a CoreDNS process's memory once its caches have synced.
type footprint struct {
	sync       time.Duration // start to ready
	rss        int64         // VmRSS, bytes: the median of the samples
	heap       int64         // go_memstats_heap_inuse_bytes: the median of the samples
	rssSpread  int64         // largest minus smallest sample
	heapSpread int64
}

// memoryReport fills four clusters with *scale services of one
// EndpointSlice of three endpoints each, then measures CoreDNS with the
// plugin watching all four against CoreDNS with only the kubernetes plugin
// watching one, and whoami as the base.
func memoryReport(report *strings.Builder, bin, coredns, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	clusters := []string{"m1", "m2", "m3", "m4"}
	bed, err := testbed.Start(bin, dir, clusters...)
	if err != nil {
		return err
	}
	defer bed.Stop()
	start := time.Now()
	for i, name := range clusters {
		c := bed.Cluster(name)
		if err := c.Seed(testbed.Shard{Cluster: name, Region: "r1", Zone: fmt.Sprintf("z%d", i), Ingress: "203.0.113.1"}); err != nil {
			return err
		}
		if err := populate(c, *scale, 0); err != nil {
			return err
		}
	}
	created := time.Since(start)

	kc := func(name string) string { return bed.Cluster(name).Kubeconfig }
	base, err := measure(coredns, dir, "base", measured("whoami"), nil)
	if err != nil {
		return err
	}
	last := fmt.Sprintf("svc-%d.%s.", *scale-1, testbed.Namespace)
	k8s, err := measure(coredns, dir, "kubernetes", measured(kubernetesBlock(kc("m1"))), answered(last+"svc.cluster.local.", dns.RcodeSuccess))
	if err != nil {
		return err
	}
	members := make([]string, 0, len(clusters))
	for _, name := range clusters {
		members = append(members, "member "+name+" "+kc(name))
	}
	fed, err := measure(coredns, dir, "federation", measured(federationBlock(kc("m1"), members...)), allOf(answeredA(last+"myfed.svc.cluster.local."), membersSynced(clusters)))
	if err != nil {
		return err
	}

	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(report, "## Memory and sync time at scale\n\n")
	fmt.Fprintf(report, "4 clusters of %d Services, each with one EndpointSlice of 3 endpoints, created through the API in %v. Memory once synced; per cluster = (process - whoami base) / clusters watched.\n\n", *scale, created.Round(time.Second))
	fmt.Fprintf(report, "Memory is the median of %d samples a second apart, each right after a garbage collection, with their spread (largest minus smallest).\n\n", memorySamples)
	fmt.Fprintf(report, "| CoreDNS with | clusters watched | sync time | RSS | Go heap in use | heap per %d services | RSS per %d services |\n|---|---|---|---|---|---|---|\n", *scale, *scale)
	row := func(name string, n int, f footprint) {
		fmt.Fprintf(report, "| %s | %d | %v | %s ± %s | %s ± %s | %s | %s |\n", name, n, f.sync.Round(time.Millisecond), mib(f.rss), mib(f.rssSpread), mib(f.heap), mib(f.heapSpread),
			mib((f.heap-base.heap)/int64(max(n, 1))), mib((f.rss-base.rss)/int64(max(n, 1))))
	}
	row("whoami (base)", 0, base)
	row("kubernetes", 1, k8s)
	row("federation", len(clusters), fed)
	report.WriteString("\n")
	return nil
}

// populate creates n Services with one EndpointSlice of three ready
// endpoints each, with 16 writers in parallel; every selectedEvery-th
// Service (none for 0), from the first, and its slice carry the
// selector's label.
func populate(c *testbed.Cluster, n, selectedEvery int) error {
	work := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				if err := createService(c, i, selectedEvery > 0 && i%selectedEvery == 0); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			wg.Wait()
			return err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func createService(c *testbed.Cluster, i int, selected bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("svc-%d", i)
	labels := map[string]string{}
	if selected {
		labels[testbed.SelectorLabel] = "true"
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testbed.Namespace, Labels: labels},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}, Selector: map[string]string{"app": name}},
	}
	if _, err := c.Client.CoreV1().Services(testbed.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	ready, node, port, proto := true, testbed.Node, int32(80), corev1.ProtocolTCP
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-abcde", Namespace: testbed.Namespace, Labels: maps.Clone(labels)},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Port: &port, Protocol: &proto}},
	}
	es.Labels[discoveryv1.LabelServiceName] = name
	for j := range 3 {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", 100+j, i/250, 1+i%250)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   &node,
		})
	}
	if _, err := c.Client.DiscoveryV1().EndpointSlices(testbed.Namespace).Create(ctx, es, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return nil
}

// answered reports whether the server answers name (the last service
// created) with rcode: its caches hold every service.
func answered(name string, rcode int) func(*testbed.CoreDNS, int) bool {
	return func(c *testbed.CoreDNS, _ int) bool {
		m, err := c.Exchange("udp", name, dns.TypeA)
		return err == nil && m.Rcode == rcode
	}
}

// answeredA reports whether the server answers name (the last service
// created) with an address: the local caches hold every service.
func answeredA(name string) func(*testbed.CoreDNS, int) bool {
	return func(c *testbed.CoreDNS, _ int) bool {
		m, err := c.Exchange("udp", name, dns.TypeA)
		return err == nil && m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 && m.Answer[0].Header().Rrtype == dns.TypeA
	}
}

// membersSynced reports whether the plugin's cluster_synced is 1 for every
// member: each member's caches are full, not just given up on after the
// grace.
func membersSynced(members []string) func(*testbed.CoreDNS, int) bool {
	return func(_ *testbed.CoreDNS, metrics int) bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return false
		}
		for _, m := range members {
			if !strings.Contains(string(body), fmt.Sprintf("coredns_federation_cluster_synced{cluster=%q} 1", m)) {
				return false
			}
		}
		return true
	}
}

// allOf reports whether every check holds.
func allOf(checks ...func(*testbed.CoreDNS, int) bool) func(*testbed.CoreDNS, int) bool {
	return func(c *testbed.CoreDNS, metrics int) bool {
		for _, check := range checks {
			if !check(c, metrics) {
				return false
			}
		}
		return true
	}
}

// measure starts a CoreDNS, waits until synced says its caches are full,
// lets it settle, reads its memory and stops it.
func measure(coredns, dir, name, corefile string, synced func(*testbed.CoreDNS, int) bool) (footprint, error) {
	start := time.Now()
	srv, err := startServer(coredns, dir, name, corefile)
	if err != nil {
		return footprint{}, err
	}
	defer srv.Stop()
	c, metrics := srv.CoreDNS, srv.metrics
	deadline := time.Now().Add(5 * time.Minute)
	for synced != nil && !synced(c, metrics) {
		if time.Now().After(deadline) {
			return footprint{}, fmt.Errorf("%s did not sync", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	f := footprint{sync: time.Since(start)}
	time.Sleep(5 * time.Second) // let the informers settle
	// Several samples a second apart, each right after a garbage
	// collection (pprof's heap?gc=1), so the heap is what is live, not
	// where the collector happened to be: the median is reported, and the
	// spread (largest minus smallest) beside it.
	var rsss, heaps []int64
	for range memorySamples {
		if err := collect(srv.pprof, filepath.Join(*profiles, name+".heap")); err != nil {
			return f, err
		}
		r, err := rss(c.Pid())
		if err != nil {
			return f, err
		}
		h, err := heapInUse(metrics)
		if err != nil {
			return f, err
		}
		rsss, heaps = append(rsss, r), append(heaps, h)
		time.Sleep(time.Second)
	}
	f.rss, f.rssSpread = medianSpread(rsss)
	f.heap, f.heapSpread = medianSpread(heaps)
	return f, nil
}

// measured is the Corefile template of a server whose memory is measured:
// on loopback, with prometheus and pprof, and the plugin block given.
func measured(block string) string {
	block = strings.ReplaceAll(block, "%", "%%") // a path may hold one
	return ".:%[2]d {\n\tbind %[1]s\n\tprometheus %[1]s:%[3]d\n\tpprof %[1]s:%[4]d\n\t" + block + "\n}"
}

// kubernetesBlock is a kubernetes plugin block reading kubeconfig, with
// more properties.
func kubernetesBlock(kubeconfig string, more ...string) string {
	return pluginBlock("kubernetes cluster.local", append([]string{"kubeconfig " + kubeconfig}, more...))
}

// federationBlock is a federation plugin block of the federation myfed,
// reading kubeconfig as the local cluster, with more properties (members,
// services).
func federationBlock(kubeconfig string, more ...string) string {
	return pluginBlock("federation cluster.local example.com", append([]string{"myfed example.com", "kubeconfig " + kubeconfig, "node " + testbed.Node}, more...))
}

func pluginBlock(head string, lines []string) string {
	return head + " {\n\t\t" + strings.Join(lines, "\n\t\t") + "\n\t}"
}

// collect has the server on pprof port collect its garbage, and saves
// the heap profile it answers with at path when -profiles is set.
func collect(port int, path string) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1", port))
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	w := io.Discard
	if *profiles != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// memorySamples is how many times each footprint is read.
const memorySamples = 5

// medianSpread returns the median of v and its spread, max minus min.
func medianSpread(v []int64) (median, spread int64) {
	slices.Sort(v)
	return v[len(v)/2], v[len(v)-1] - v[0]
}

func rss(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

func heapInUse(port int) (int64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("no go_memstats_heap_inuse_bytes")
}
