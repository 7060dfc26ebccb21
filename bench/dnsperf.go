package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// scenario is one kind of question asked of one server.
type scenario struct {
	name    string
	port    int
	queries string   // dnsperf data file
	shape   []uint16 // the record types of the answer it times; nil: any answer (whoami)
	dnssec  bool     // asked with the DO bit, for signatures
}

// dnsperfReport builds a local and a member cluster, starts the three
// servers and measures every scenario, interleaved.
func dnsperfReport(report *strings.Builder, bin, coredns, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bed, err := testbed.Start(bin, dir, "local", "member")
	if err != nil {
		return err
	}
	defer bed.Stop()
	local, member := bed.Cluster("local"), bed.Cluster("member")
	if err := local.Seed(testbed.Shard{Cluster: "local", Region: "r1", Zone: "z1", Ingress: "203.0.113.1"}); err != nil {
		return err
	}
	if err := member.Seed(testbed.Shard{Cluster: "member", Region: "r1", Zone: "z2", Ingress: "203.0.113.2"}); err != nil {
		return err
	}
	var hosts, up, down, zone strings.Builder
	for i := range *names {
		upName, downName := fmt.Sprintf("up-%d", i), fmt.Sprintf("down-%d", i)
		// Healthy locally: answered with the ClusterIP.
		if err := local.CreateService(upName, corev1.ServiceTypeClusterIP); err != nil {
			return err
		}
		if err := local.SetEndpoints(upName, "z1", 3, true); err != nil {
			return err
		}
		// Absent locally, published by the member: a chased CNAME.
		if err := member.CreateService(downName, corev1.ServiceTypeLoadBalancer); err != nil {
			return err
		}
		if err := member.SetIngress(downName, fmt.Sprintf("203.0.113.%d", 10+i%200)); err != nil {
			return err
		}
		if err := member.SetEndpoints(downName, "z2", 3, true); err != nil {
			return err
		}
		fmt.Fprintf(&hosts, "10.96.%d.%d %s.mynamespace.myfed.svc.cluster.local\n", i/250, 1+i%250, upName)
		fmt.Fprintf(&up, "%s.mynamespace.myfed.svc.cluster.local A\n", upName)
		fmt.Fprintf(&down, "%s.mynamespace.myfed.svc.cluster.local A\n", downName)
		fmt.Fprintf(&zone, "%s.mynamespace.myfed.svc.z2.r1.example.com A\n", downName)
	}
	files := map[string]string{"hosts.txt": hosts.String(), "up.txt": up.String(), "down.txt": down.String(), "zone.txt": zone.String()}
	for f, data := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644); err != nil {
			return err
		}
	}

	hostsSrv, err := startServer(coredns, dir, "hosts", `.:%[2]d {
	bind %[1]s
	errors
	prometheus %[1]s:%[3]d
	hosts `+filepath.Join(dir, "hosts.txt")+` cluster.local
}`)
	if err != nil {
		return err
	}
	defer hostsSrv.Stop()
	fedSrv, err := startServer(coredns, dir, "federation", `.:%[2]d {
	bind %[1]s
	errors
	prometheus %[1]s:%[3]d
	federation cluster.local example.com {
		myfed example.com
		kubeconfig `+local.Kubeconfig+`
		node `+testbed.Node+`
		member member `+member.Kubeconfig+`
	}
	kubernetes cluster.local {
		kubeconfig `+local.Kubeconfig+`
	}
}`)
	if err != nil {
		return err
	}
	defer fedSrv.Stop()
	// The same, its federation zone signed by the dnssec plugin (which
	// cmd/coredns places before the plugin) with a generated key.
	key, err := writeZoneKey(dir)
	if err != nil {
		return err
	}
	signedSrv, err := startServer(coredns, dir, "signed", `.:%[2]d {
	bind %[1]s
	errors
	prometheus %[1]s:%[3]d
	dnssec example.com {
		key file `+key+`
	}
	federation cluster.local example.com {
		myfed example.com
		kubeconfig `+local.Kubeconfig+`
		node `+testbed.Node+`
		member member `+member.Kubeconfig+`
	}
}`)
	if err != nil {
		return err
	}
	defer signedSrv.Stop()
	whoamiSrv, err := startServer(coredns, dir, "whoami", `.:%[2]d {
	bind %[1]s
	whoami
}`)
	if err != nil {
		return err
	}
	defer whoamiSrv.Stop()

	scenarios := []scenario{
		{"hosts (baseline)", hostsSrv.port, filepath.Join(dir, "up.txt"), []uint16{dns.TypeA}, false},
		{"federation: local answer", fedSrv.port, filepath.Join(dir, "up.txt"), []uint16{dns.TypeA}, false},
		{"federation: chased CNAME", fedSrv.port, filepath.Join(dir, "down.txt"), []uint16{dns.TypeCNAME, dns.TypeA}, false},
		{"federation: zone level name", fedSrv.port, filepath.Join(dir, "zone.txt"), []uint16{dns.TypeA}, false},
		{"federation: zone level name, signed (dnssec, DO bit)", signedSrv.port, filepath.Join(dir, "zone.txt"), []uint16{dns.TypeA, dns.TypeRRSIG}, true},
		{"whoami (ceiling)", whoamiSrv.port, filepath.Join(dir, "up.txt"), nil, false},
	}
	// Every scenario must give the answer it is named for before it is
	// measured: a chased CNAME must come with the target's address.
	for _, s := range scenarios {
		if err := waitNoError(s); err != nil {
			return err
		}
	}

	peak := map[string][]float64{}
	for r := range *rounds {
		for _, s := range scenarios {
			qps, _, err := dnsperf(s, 0)
			if err != nil {
				return err
			}
			peak[s.name] = append(peak[s.name], qps)
			fmt.Fprintf(os.Stderr, "round %d %-30s %8.0f QPS\n", r+1, s.name, qps)
		}
	}
	offered := int(median(peak[scenarios[0].name]) / 2)
	lat := map[string][]time.Duration{}
	for range *rounds {
		for _, s := range scenarios {
			_, l, err := dnsperf(s, offered)
			if err != nil {
				return err
			}
			lat[s.name] = append(lat[s.name], l...)
		}
	}

	base := median(peak[scenarios[0].name])
	basePercentiles := percentiles(lat[scenarios[0].name])
	fmt.Fprintf(report, "## Throughput and latency (dnsperf over loopback)\n\n")
	fmt.Fprintf(report, "%d names per scenario; %d interleaved rounds of %v each, uncapped for peak QPS (median of rounds), then at %d QPS offered (half the baseline's peak) for latency (all rounds pooled).\n\n", *names, *rounds, *duration, offered)
	fmt.Fprintf(report, "| scenario | peak QPS | ratio to hosts | p50 | p99 | p99 ratio |\n|---|---|---|---|---|---|\n")
	for _, s := range scenarios {
		q, p := median(peak[s.name]), percentiles(lat[s.name])
		fmt.Fprintf(report, "| %s | %.0f | %.2f | %v | %v | %.2f |\n", s.name, q, q/base, p[0], p[1], float64(p[1])/float64(basePercentiles[1]))
	}
	unsigned, signed := scenarios[3].name, scenarios[4].name
	pu, ps := percentiles(lat[unsigned]), percentiles(lat[signed])
	fmt.Fprintf(report, "\nSigned against unsigned zone level names: peak QPS %.2fx, p50 %.2fx, p99 %.2fx.\n",
		median(peak[signed])/median(peak[unsigned]), float64(ps[0])/float64(pu[0]), float64(ps[1])/float64(pu[1]))
	report.WriteString("\n")
	return nil
}

// writeZoneKey writes a key-signing key of example.com (ECDSA P-256) as
// BIND's K*.key and K*.private files in dir and returns their base path,
// as the dnssec plugin's `key file` takes it.
func writeZoneKey(dir string) (string, error) {
	key := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := key.Generate(256)
	if err != nil {
		return "", err
	}
	base := filepath.Join(dir, fmt.Sprintf("Kexample.com.+%03d+%05d", key.Algorithm, key.KeyTag()))
	if err := os.WriteFile(base+".key", []byte(key.String()+"\n"), 0o644); err != nil {
		return "", err
	}
	return base, os.WriteFile(base+".private", []byte(key.PrivateKeyString(priv)), 0o600)
}

// waitNoError asks the first query of s until it is answered NOERROR with
// records of the scenario's shape.
func waitNoError(s scenario) error {
	data, err := os.ReadFile(s.queries)
	if err != nil {
		return err
	}
	first := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(first[0]), dns.StringToType[first[1]])
		if s.dnssec {
			m.SetEdns0(4096, true)
		}
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, "127.0.0.1:"+strconv.Itoa(s.port))
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer)+len(r.Extra) > 0 && hasShape(r, s.shape) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s not answered", s.name, first[0])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// hasShape reports whether r's answer holds records of exactly the types
// of shape, in order; any answer has a nil shape.
func hasShape(r *dns.Msg, shape []uint16) bool {
	if shape == nil {
		return true
	}
	if len(r.Answer) != len(shape) {
		return false
	}
	for i, rr := range r.Answer {
		if rr.Header().Rrtype != shape[i] {
			return false
		}
	}
	return true
}

// dnsperf runs one dnsperf and returns its QPS and, when rate > 0 (verbose
// at that offered rate), every query's latency.
func dnsperf(s scenario, rate int) (float64, []time.Duration, error) {
	args := []string{"-s", "127.0.0.1", "-p", strconv.Itoa(s.port), "-d", s.queries, "-l", strconv.Itoa(int(duration.Seconds()))}
	if rate > 0 {
		args = append(args, "-Q", strconv.Itoa(rate), "-v")
	}
	if s.dnssec {
		args = append(args, "-D")
	}
	out, err := exec.Command("dnsperf", args...).Output()
	if err != nil {
		return 0, nil, fmt.Errorf("dnsperf %s: %w", s.name, err)
	}
	var qps float64
	var lat []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "Queries per second:"):
			qps, _ = strconv.ParseFloat(f[len(f)-1], 64)
		case len(f) == 5 && f[0] == ">":
			if f[1] != "NOERROR" {
				return 0, nil, fmt.Errorf("%s: %s answered %s", s.name, f[2], f[1])
			}
			sec, _ := strconv.ParseFloat(f[4], 64)
			lat = append(lat, time.Duration(sec*float64(time.Second)))
		}
	}
	return qps, lat, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// percentiles returns p50 and p99.
func percentiles(d []time.Duration) [2]time.Duration {
	if len(d) == 0 {
		return [2]time.Duration{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return [2]time.Duration{s[len(s)/2].Round(time.Microsecond), s[len(s)*99/100].Round(time.Microsecond)}
}
