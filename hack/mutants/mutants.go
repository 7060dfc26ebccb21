package main

// mutant is one small, real fault: in file, old (which must occur exactly
// once) becomes new. e2e names the end-to-end tests that exercise the code,
// run when the unit tests let the mutant live.
type mutant struct {
	name     string
	file     string
	old, new string
	e2e      string // a -run pattern; empty: unit tests only
}

var mutants = []mutant{
	{"grace ignored: shards dropped at the first failure", "federation/member.go",
		"return since.IsZero() || now.Sub(since) < m.Grace", "return since.IsZero()", "TestMemberOutageGrace"},
	{"AA dropped from the cluster's answers", "plugin/handler.go",
		"m.SetReply(state.Req)\n\tm.Authoritative = true", "m.SetReply(state.Req)\n\tm.Authoritative = false", "TestLocalHealthy|TestScaledToZero"},
	{"AA dropped from the federation zone's answers", "plugin/zone.go",
		"m.Authoritative = true", "m.Authoritative = false", "TestZoneWalksUpAsShardsScaleDown"},
	{"SOA left out of negative answers", "plugin/answer.go",
		"m.Ns = []dns.RR{f.soa(domain)}", "m.Ns = nil", "TestLocalHealthy|TestZoneWalksUpAsShardsScaleDown"},
	{"410 Gone counted as an outage", "federation/contact.go",
		"if errors.Is(err, context.Canceled) || expired(err) {", "if errors.Is(err, context.Canceled) {", "TestWatchGoneRelists"},
	{"readiness waits for every member to sync", "plugin/ready.go",
		"return f.clusters.LocalSynced() && f.clusters.Settled(time.Now())", "return f.clusters.LocalSynced() && f.clusters.Settled(time.Now().Add(-time.Hour))", "TestReadyWithMemberDown"},
	{"the chase's rcode dropped", "plugin/answer.go",
		"m.Rcode = resp.Rcode\n", "m.Rcode = dns.RcodeSuccess\n", "TestZoneWalksUpAsShardsScaleDown"},
	{"REFUSED chase passed on", "plugin/answer.go",
		"if resp.Rcode == dns.RcodeRefused || resp.Rcode == dns.RcodeNotImplemented {", "if resp.Rcode == dns.RcodeNotImplemented {", "TestUnanswerableChaseKeepsCNAME"},
	{"loop bound raised from 8 to 12 CNAMEs", "plugin/chain.go",
		"const maxChain = 8", "const maxChain = 12", "TestLoopsUnderBurst"},
	{"TC of a truncated chase lost", "plugin/answer.go",
		"m.Truncated = m.Truncated || resp.Truncated", "m.Truncated = m.Truncated && resp.Truncated", "TestTruncatedChaseSetsTC"},
	{"name collision rule off: endpoint names federated", "plugin/decide.go",
		"if f.clusters.Headless(name.Federation, name.Namespace) {", "if false && f.clusters.Headless(name.Federation, name.Namespace) {", "TestExplainTellsTheAnswerGiven"},
	{"TTL option ignored", "plugin/answer.go",
		"Class: dns.ClassINET, Ttl: f.cfg.TTL}", "Class: dns.ClassINET, Ttl: DefaultTTL}", "TestReload"},
	{"resolutions counted under the wrong level", "plugin/decide.go",
		"return d.level.String()", "return levelLocal", "TestMetricsFollowAnswers"},
	{"opcodes other than QUERY answered", "plugin/handler.go",
		"if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1", "if len(r.Question) != 1", "TestOnlyQueriesAnswered"},
	{"one contact state for every resource", "federation/contact.go",
		"func (c *contact) observe(resource string, err error) {\n", "func (c *contact) observe(resource string, err error) {\n\tresource = \"api\"\n", "TestMemberWithoutEndpointSliceRights"},
	{"hostname-only ingress not published", "federation/published.go",
		"(len(svc.ingress) == 0 && len(svc.hostnames) == 0)", "len(svc.ingress) == 0", "TestHostnameIngress"},
	{"black-hole probe allowed a minute", "federation/probe.go",
		"probeTimeout  = 5 * time.Second", "probeTimeout  = 60 * time.Second", "TestMemberBlackHole"},
	{"zone CNAMEs followed only for A and AAAA", "plugin/answer.go",
		"if qtype == dns.TypeCNAME {\n\t\t\treturn\n\t\t}\n\t\towner = next", "if qtype != dns.TypeA && qtype != dns.TypeAAAA {\n\t\t\treturn\n\t\t}\n\t\towner = next", "TestTXTAtEmptyLevelEndsNXDOMAIN"},
	{"the selector not sent to the API", "federation/cluster.go",
		"selected = func(o *metav1.ListOptions) { o.LabelSelector = opts.Selector }", "selected = func(*metav1.ListOptions) {}", "TestServicesSelector"},
	{"ServiceExports ignored", "federation/exports.go",
		"if !c.exportedOnly {", "if !c.exportedOnly || true {", "TestServicesExported"},
	{"min-ready ignored", "federation/shard.go",
		"Healthy: readyEndpoints(slices) >= max(1, svc.policy.MinReady), Addresses: svc.clusterIPs", "Healthy: readyEndpoints(slices) >= 1, Addresses: svc.clusterIPs", "TestMinReadyFailsOver"},
	{"not-ready endpoints kept in the cache", "federation/transform.go",
		"if !EndpointReady(e.Conditions) || len(e.Addresses) == 0 {", "if len(e.Addresses) == 0 {", "TestEndpointsNotReady"},
	{"a decision reads the local watch twice", "plugin/clusters.go",
		"if !m.Reads(w.ws.Local.Watch()) {", "if true {", ""},
	{"prefer-regions ignored", "federation/policy.go",
		"for _, r := range prefer {", "for _, r := range prefer[:0] {", "TestPreferRegions"},
	{"scope ignored by the federation zone's walk", "plugin/decide.go",
		" || l == federation.LevelGlobal || !scope.Within(l.Up()) {", " || l == federation.LevelGlobal {", "TestScopeRegion"},
}
