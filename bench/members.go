package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// membersReport times failovers as TestFailoverLatency does, with 1 and
// with 10 member clusters, each its own API server (on one etcd) with its
// seed nginx: a local flip is seen by the local watch alone, and the
// answer walks the members' shards. It shows whether the plugin's part of
// a failover grows with its members.
func membersReport(report *strings.Builder, bin, coredns, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, scaleMembers+1)
	names = append(names, "local")
	for i := range scaleMembers {
		names = append(names, fmt.Sprintf("m%d", i+1))
	}
	bed, err := testbed.Start(bin, dir, names...)
	if err != nil {
		return err
	}
	defer bed.Stop()
	local := bed.Cluster("local")
	if err := local.Seed(testbed.Shard{Cluster: "local", Region: "r0", Zone: "z0", Ingress: "203.0.113.100"}); err != nil {
		return err
	}
	// Members in three regions; a third of them in the local one, each
	// in a zone of its own: down, the local name goes to the region level.
	memberLines := make([]string, 0, scaleMembers)
	for i, name := range names[1:] {
		shard := testbed.Shard{Cluster: name, Region: fmt.Sprintf("r%d", (i+1)%3), Zone: fmt.Sprintf("z%d", i+1), Ingress: fmt.Sprintf("203.0.113.%d", i+1)}
		if err := bed.Cluster(name).Seed(shard); err != nil {
			return err
		}
		memberLines = append(memberLines, "member "+name+" "+bed.Cluster(name).Kubeconfig)
	}
	// Down, the answer is a CNAME up the federation and the addresses
	// of the members' shards there; the members never change.
	down := func(m *dns.Msg) bool {
		_, ok := firstCNAME(m)
		return ok && m.Rcode == dns.RcodeSuccess && len(m.Answer) > 1
	}
	corefile := func(members int) string {
		return measured(federationBlock(local.Kubeconfig, memberLines[:members]...))
	}
	one, err := failover(coredns, dir, "members-1", corefile(1), flips{local, "z0", names[1:2], down})
	if err != nil {
		return err
	}
	ten, err := failover(coredns, dir, "members-10", corefile(scaleMembers), flips{local, "z0", names[1:], down})
	if err != nil {
		return err
	}
	fmt.Fprintf(report, "## Failover with 1 and with %d member clusters\n\n", scaleMembers)
	fmt.Fprintf(report, "The local cluster and %d members, each its own kube-apiserver on one etcd, each with its seed nginx (members in three regions, a third in the local one). "+
		"%d flips of the local nginx between 2 ready endpoints and none, as TestFailoverLatency does, each timed from just before the EndpointSlice write to the first answer that reflects it "+
		"(down: the CNAME up the federation with the members' addresses; healthy: the ClusterIP). Median and maximum of %d flips each way:\n\n",
		scaleMembers, scaleFlips, scaleFlips/2)
	failoverTable(report, "members", []failoverRow{{"1", one}, {strconv.Itoa(scaleMembers), ten}})
	return nil
}
