package main

import (
	"fmt"
	"os"
	"path/filepath"
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
	down := func(m *dns.Msg) bool { // every watch agrees: no shard left
		cname, ok := firstCNAME(m)
		return m.Rcode == dns.RcodeNameError && ok && cname == testbed.Service+"."+testbed.Namespace+".myfed.svc.example.com."
	}
	one, err := failover(coredns, dir, "failover-1", federation(selector, 1), flips{c, "z1", names[:1], down})
	if err != nil {
		return err
	}
	ten, err := failover(coredns, dir, "failover-10", federation(selector, scaleMembers), flips{c, "z1", names, down})
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
	failoverTable(report, "watches of the API server", []failoverRow{
		{"2 (the local cluster and 1 member)", one},
		{fmt.Sprintf("%d (the local cluster and %d members)", watched, scaleMembers), ten},
	})
	return nil
}
