package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
)

// spread is the median and the maximum of some durations.
type spread struct{ p50, max time.Duration }

func spreadOf(d []time.Duration) spread {
	slices.Sort(d)
	return spread{d[len(d)/2].Round(time.Microsecond), d[len(d)-1].Round(time.Microsecond)}
}

// flipTimes are the failover times of flips to down (also from the
// write's return) and to healthy, and of the API writes.
type flipTimes struct{ down, downAfterWrite, up, write spread }

// flips says what a failover run flips and what it waits for.
type flips struct {
	cluster *testbed.Cluster // whose seed nginx is flipped
	zone    string           // of its endpoints
	members []string         // synced before the run starts
	// down is the answer once the flipped shard is down wherever it is
	// watched.
	down func(*dns.Msg) bool
}

// failover starts CoreDNS on corefile, waits for the members, and flips
// nginx between two ready endpoints and none scaleFlips times, timing each
// from the write to the first answer that reflects it everywhere. An
// answer in between (a watch that has not seen the write yet) is allowed;
// an error is not.
func failover(coredns, dir, server, corefile string, f flips) (flipTimes, error) {
	srv, err := startServer(coredns, dir, server, corefile)
	if err != nil {
		return flipTimes{}, err
	}
	defer srv.Stop()
	s, metrics := srv.CoreDNS, srv.metrics
	name := testbed.Service + "." + testbed.Namespace + ".myfed.svc.cluster.local."
	deadline := time.Now().Add(5 * time.Minute)
	for !allOf(answeredA(name), membersSynced(f.members))(s, metrics) {
		if time.Now().After(deadline) {
			return flipTimes{}, fmt.Errorf("failover: the server did not sync")
		}
		time.Sleep(20 * time.Millisecond)
	}
	healthy := func(m *dns.Msg) bool {
		return m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 && m.Answer[0].Header().Rrtype == dns.TypeA
	}
	var downs, afterWrite, ups, writes []time.Duration
	for i := range scaleFlips {
		target, ready := f.down, 0
		if i%2 == 1 {
			target, ready = healthy, 2
		}
		start := time.Now()
		if err := f.cluster.SetEndpoints(testbed.Service, f.zone, ready, true); err != nil {
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

// failoverRow is one line of a failover table.
type failoverRow struct {
	label string
	times flipTimes
}

// failoverTable writes the times of failover runs, one row each.
func failoverTable(report *strings.Builder, first string, rows []failoverRow) {
	fmt.Fprintf(report, "| %s | to down: p50 | max | to down from the write's return: p50 | max | to healthy: p50 | max | the API write alone: p50 | max |\n|---|---|---|---|---|---|---|---|---|\n", first)
	for _, r := range rows {
		t := r.times
		fmt.Fprintf(report, "| %s | %v | %v | %v | %v | %v | %v | %v | %v |\n", r.label,
			t.down.p50, t.down.max, t.downAfterWrite.p50, t.downAfterWrite.max, t.up.p50, t.up.max, t.write.p50, t.write.max)
	}
	report.WriteString("\n")
}
