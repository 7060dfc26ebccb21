package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// The targets of the scale run (issue 13), as ratios measured in one run.
const (
	selectorHeapTarget   = 10 << 20 // the selector's Go heap above whoami, bytes
	selectorToAllTarget  = 0.1      // the selector's heap above whoami over that of `services all`
	allToKubernetesLimit = 0.5      // `services all` over the kubernetes plugin, per watched Service
	scaleMembers         = 10
	selectedEvery        = 100 // one Service in this many carries the selector's label
	scaleFlips           = 100
)

// scaleReport fills one API server with *scaleServices Services of one
// EndpointSlice of three endpoints each, one in a hundred labelled for
// the federation, and measures CoreDNS watching it as the local cluster
// and as 10 members (10 kubeconfigs of the one API server) with `services
// all` and with `services selector`, against the kubernetes plugin
// watching it once and whoami as the base. With the selector, it also
// times 100 failovers of a selected Service, as TestFailoverLatency does,
// with its 11 watches.
func scaleReport(report *strings.Builder, bin, coredns, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bed, err := testbed.Start(bin, dir, "big")
	if err != nil {
		return err
	}
	defer bed.Stop()
	c := bed.Cluster("big")
	start := time.Now()
	if err := c.Seed(testbed.Shard{Cluster: "big", Region: "r1", Zone: "z1", Ingress: "203.0.113.1"}); err != nil {
		return err
	}
	if err := populate(c, *scaleServices, selectedEvery); err != nil {
		return err
	}
	created := time.Since(start)
	names := make([]string, scaleMembers)
	memberLines := make([]string, scaleMembers)
	for i := range names {
		names[i] = fmt.Sprintf("m%d", i)
		kc := filepath.Join(dir, names[i]+".kubeconfig")
		if err := c.WriteKubeconfig(kc, testbed.AdminToken); err != nil {
			return err
		}
		memberLines[i] = "member " + names[i] + " " + kc
	}

	base, err := measure(coredns, dir, "base", measured("whoami"), nil)
	if err != nil {
		return err
	}
	n := *scaleServices
	lastName := func(i int) string { return fmt.Sprintf("svc-%d.%s.", i, testbed.Namespace) }
	k8s, err := measure(coredns, dir, "kubernetes", measured(kubernetesBlock(c.Kubeconfig)), answered(lastName(n-1)+"svc.cluster.local.", dns.RcodeSuccess))
	if err != nil {
		return err
	}
	lastSelected := (n - 1) / selectedEvery * selectedEvery
	label := testbed.SelectorLabel + "=true"
	k8sSel, err := measure(coredns, dir, "kubernetes-labels", measured(kubernetesBlock(c.Kubeconfig, "labels "+label)), answered(lastName(lastSelected)+"svc.cluster.local.", dns.RcodeSuccess))
	if err != nil {
		return err
	}
	federation := func(services string, members int) string {
		return measured(federationBlock(c.Kubeconfig, append([]string{"services " + services}, memberLines[:members]...)...))
	}
	all, err := measure(coredns, dir, "all", federation("all", scaleMembers),
		allOf(answeredA(lastName(n-1)+"myfed.svc.cluster.local."), membersSynced(names)))
	if err != nil {
		return err
	}
	selector := "selector " + label
	sel, err := measure(coredns, dir, "selector", federation(selector, scaleMembers),
		allOf(answeredA(lastName(lastSelected)+"myfed.svc.cluster.local."), membersSynced(names)))
	if err != nil {
		return err
	}
	one, err := failover(coredns, dir, "failover-1", federation(selector, 1), c, names[:1])
	if err != nil {
		return err
	}
	ten, err := failover(coredns, dir, "failover-10", federation(selector, scaleMembers), c, names)
	if err != nil {
		return err
	}

	watched := scaleMembers + 1
	selected := (n+selectedEvery-1)/selectedEvery + 1 // and the seed's nginx
	above := func(f footprint) float64 { return float64(f.heap - base.heap) }
	perService := func(f footprint, services int) float64 { return above(f) / float64(services) }
	// Per watched Service, what each more Service costs: the slope between
	// watching all and watching the selected, so that neither side's fixed
	// costs (clients, informers, watches) are spread over its Services.
	// The plugin's slope still holds the gzip readers of the Service and
	// EndpointSlice watches that only `services all` compresses (22 of
	// them, about 1 MiB).
	slope := func(more, fewer footprint, services int) float64 {
		return float64(more.heap-fewer.heap) / float64(services)
	}
	allSlope := slope(all, sel, watched*(n+1-selected))
	k8sSlope := slope(k8s, k8sSel, n+1-selected)
	allRatio := allSlope / k8sSlope
	selRatio := above(sel) / above(all)
	mib := func(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}

	fmt.Fprintf(report, "## Scale: one API server watched as the local cluster and %d members\n\n", scaleMembers)
	fmt.Fprintf(report, "%d Services (and the seed's nginx), each with one EndpointSlice of 3 ready endpoints; one in %d (%d with nginx) labelled `%s=true`; created through the API in %v. "+
		"CoreDNS watches the API server %d times (the local cluster and %d members on their own kubeconfigs) with `services all` and with `services selector`; the kubernetes plugin watches it once. "+
		"Memory is the median of %d samples a second apart once synced, each right after a garbage collection, with their spread.\n\n",
		n, selectedEvery, selected, testbed.SelectorLabel, created.Round(time.Second), watched, scaleMembers, memorySamples)
	fmt.Fprintf(report, "| CoreDNS with | Services watched | sync time | RSS | Go heap in use | heap above whoami | heap per 10,000 watched Services |\n|---|---|---|---|---|---|---|\n")
	row := func(name string, services int, f footprint) {
		per := "-"
		if services >= 1000 { // below, fixed costs are all it would show
			per = mib(perService(f, services) * 10000)
		}
		fmt.Fprintf(report, "| %s | %d | %v | %s ± %s | %s ± %s | %s | %s |\n", name, services, f.sync.Round(time.Millisecond),
			mib(float64(f.rss)), mib(float64(f.rssSpread)), mib(float64(f.heap)), mib(float64(f.heapSpread)), mib(above(f)), per)
	}
	row("whoami (base)", 0, base)
	row("kubernetes", n+1, k8s)
	row("kubernetes, labels "+label, selected, k8sSel)
	row("federation, services all", watched*(n+1), all)
	row("federation, services selector", watched*selected, sel)
	fmt.Fprintf(report, "\n| target | measured | |\n|---|---|---|\n")
	fmt.Fprintf(report, "| selector: heap above whoami at most %s | %s | %s |\n", mib(selectorHeapTarget), mib(above(sel)), verdict(above(sel) <= selectorHeapTarget))
	fmt.Fprintf(report, "| selector: at most %.1fx of `services all` above whoami | %.3fx | %s |\n", selectorToAllTarget, selRatio, verdict(selRatio <= selectorToAllTarget))
	fmt.Fprintf(report, "| `services all`: at most %.1fx of the kubernetes plugin per watched Service (each more Service: %s against %s per 10,000) | %.2fx | %s |\n",
		allToKubernetesLimit, mib(allSlope*10000), mib(k8sSlope*10000), allRatio, verdict(allRatio <= allToKubernetesLimit))
	fmt.Fprintf(report, "\nFailover with the selector, %d flips of nginx between 2 ready endpoints and none, each timed from just before the EndpointSlice write to the first answer that reflects it: "+
		"to down, the first answer every watch agrees on (the CNAME to the global level with NXDOMAIN, once no watch has a ready endpoint left); to healthy, the ClusterIP (the local watch alone decides). "+
		"Median and maximum of %d flips each way:\n\n", scaleFlips, scaleFlips/2)
	fmt.Fprintf(report, "| watches of the API server | to down: p50 | max | to down from the write's return: p50 | max | to healthy: p50 | max | the API write alone: p50 | max |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range []struct {
		watches int
		t       flipTimes
	}{{2, one}, {watched, ten}} {
		fmt.Fprintf(report, "| %d (the local cluster and %d member(s)) | %v | %v | %v | %v | %v | %v | %v | %v |\n", f.watches, f.watches-1,
			f.t.down.p50, f.t.down.max, f.t.downAfterWrite.p50, f.t.downAfterWrite.max, f.t.up.p50, f.t.up.max, f.t.write.p50, f.t.write.max)
	}
	report.WriteString("\n")
	return nil
}

// spread is the median and the maximum of some durations.
type spread struct{ p50, max time.Duration }

func spreadOf(d []time.Duration) spread {
	slices.Sort(d)
	return spread{d[len(d)/2].Round(time.Microsecond), d[len(d)-1].Round(time.Microsecond)}
}

// flipTimes are the failover times of flips to down (also from the
// write's return) and to healthy, and of the API writes.
type flipTimes struct{ down, downAfterWrite, up, write spread }

// failover starts CoreDNS on corefile, waits for the members, and flips the
// seed's nginx between two ready endpoints and none scaleFlips times,
// timing each from the write to the first answer that reflects it
// everywhere. An answer in between (a watch that has not seen the write
// yet) is allowed; an error is not.
func failover(coredns, dir, server, corefile string, c *testbed.Cluster, members []string) (flipTimes, error) {
	srv, err := startServer(coredns, dir, server, corefile)
	if err != nil {
		return flipTimes{}, err
	}
	defer srv.Stop()
	s, metrics := srv.CoreDNS, srv.metrics
	name := testbed.Service + "." + testbed.Namespace + ".myfed.svc.cluster.local."
	global := testbed.Service + "." + testbed.Namespace + ".myfed.svc.example.com."
	deadline := time.Now().Add(5 * time.Minute)
	for !allOf(answeredA(name), membersSynced(members))(s, metrics) {
		if time.Now().After(deadline) {
			return flipTimes{}, fmt.Errorf("failover: the server did not sync")
		}
		time.Sleep(20 * time.Millisecond)
	}
	healthy := func(m *dns.Msg) bool {
		return m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 && m.Answer[0].Header().Rrtype == dns.TypeA
	}
	down := func(m *dns.Msg) bool {
		cname, ok := firstCNAME(m)
		return m.Rcode == dns.RcodeNameError && ok && cname == global
	}
	var downs, afterWrite, ups, writes []time.Duration
	for i := range scaleFlips {
		target, ready := down, 0
		if i%2 == 1 {
			target, ready = healthy, 2
		}
		start := time.Now()
		if err := c.SetEndpoints(testbed.Service, "z1", ready, true); err != nil {
			return flipTimes{}, err
		}
		writes = append(writes, time.Since(start))
		for {
			m, err := s.Exchange("udp", name, dns.TypeA)
			if err != nil {
				return flipTimes{}, fmt.Errorf("flip %d: %w", i, err)
			}
			if target(m) {
				break
			}
			if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
				return flipTimes{}, fmt.Errorf("flip %d: %s", i, dns.RcodeToString[m.Rcode])
			}
			if time.Since(start) > 10*time.Second {
				return flipTimes{}, fmt.Errorf("flip %d not seen after 10s: %v", i, m)
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		if ready == 0 {
			downs, afterWrite = append(downs, took), append(afterWrite, took-writes[len(writes)-1])
		} else {
			ups = append(ups, took)
		}
	}
	return flipTimes{down: spreadOf(downs), downAfterWrite: spreadOf(afterWrite), up: spreadOf(ups), write: spreadOf(writes)}, nil
}

// firstCNAME returns the target of the answer's first record, if a CNAME.
func firstCNAME(m *dns.Msg) (string, bool) {
	if len(m.Answer) == 0 {
		return "", false
	}
	c, ok := m.Answer[0].(*dns.CNAME)
	if !ok {
		return "", false
	}
	return c.Target, true
}
