package plugin

import (
	"strings"
	"testing"

	"github.com/federated-dns/federation/federation"

	"github.com/miekg/dns"
)

func TestExplain(t *testing.T) {
	fx := newFixture(t, federation.Topology{Zone: "us-east1-c", Region: "us-east1"}, "")
	fx.addMember("east", memberObjects("us-east1-b", "us-east1", "203.0.113.40")...)
	q := "_explain.web.ns.myfed.svc.cluster.local."

	// Off by default: the question is not the plugin's.
	if _, rcode, _ := fx.ask(q, dns.TypeTXT); rcode != dns.RcodeNotImplemented {
		t.Fatalf("Expected explain to be off by default, got %s", dns.RcodeToString[rcode])
	}

	fx.f.cfg.Explain = true
	resp, _, err := fx.ask(q, dns.TypeTXT)
	if err != nil || resp == nil {
		t.Fatalf("Expected an explanation, got %v %v", resp, err)
	}
	text := make([]string, 0, len(resp.Answer))
	for _, rr := range resp.Answer {
		text = append(text, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	got := strings.Join(text, "\n")
	for _, want := range []string{
		"local shard ns/web: missing, healthy false",
		"local topology: zone us-east1-c, region us-east1",
		"member east: synced true, API answers, shards count true",
		"shard in region us-east1, zones [us-east1-b], ingress [203.0.113.40]",
		"answer: cname level=region target=web.ns.myfed.svc.us-east1.example.com.: the nearest level with a healthy shard",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Expected the explanation to say %q, got:\n%s", want, got)
		}
	}
	// Only TXT questions are explained.
	if _, rcode, _ := fx.ask(q, dns.TypeA); rcode != dns.RcodeNotImplemented {
		t.Errorf("Expected an A question for %s to go to the next plugin, got %s", q, dns.RcodeToString[rcode])
	}
}
