package federation

import (
	"os"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"

	"k8s.io/client-go/rest"
)

// TestReadme checks README.md as CoreDNS checks its plugins' READMEs: the
// sections start Name, Description, Syntax, Examples, and every corefile
// block loads, each federation block of it through the plugin's real
// parser. Kubeconfig files are stood in for: the examples name those of a
// real cluster.
func TestReadme(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if title, ok := strings.CutPrefix(line, "## "); ok {
			sections = append(sections, title)
		}
	}
	want := []string{"Name", "Description", "Syntax", "Examples"}
	if len(sections) < len(want) || strings.Join(sections[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("Expected README to start with the sections %v, got %v", want, sections)
	}
	for _, s := range sections {
		if s == "Also See" {
			t.Error(`Expected "See Also", not "Also See"`)
		}
	}

	defer func(f func(string, string) (*rest.Config, error)) { restConfig = f }(restConfig)
	restConfig = func(string, string) (*rest.Config, error) { return &rest.Config{Host: "https://192.0.2.1:6443"}, nil }
	blocks := corefileBlocks(string(data))
	if len(blocks) < 2 {
		t.Fatalf("Expected README's corefile examples, found %d", len(blocks))
	}
	for i, text := range blocks {
		servers, err := caddyfile.Parse("README", strings.NewReader(text), nil)
		if err != nil {
			t.Errorf("Corefile %d does not parse: %v\n%s", i, err, text)
			continue
		}
		for _, sb := range servers {
			tokens := sb.Tokens["federation"]
			if len(tokens) == 0 {
				continue
			}
			c := caddy.NewTestController("dns", retext(tokens))
			c.ServerBlockKeys = sb.Keys
			if _, err := parse(c); err != nil {
				t.Errorf("Corefile %d: the federation block is refused: %v\n%s", i, err, text)
			}
		}
	}
}

// corefileBlocks returns the text of README's ~~~ corefile blocks.
func corefileBlocks(readme string) []string {
	var blocks []string
	var cur *strings.Builder
	for line := range strings.SplitSeq(readme, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "~~~ corefile":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "~~~":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// retext writes tokens back as Corefile text, a line for each line of the
// original.
func retext(tokens []caddyfile.Token) string {
	var b strings.Builder
	line := tokens[0].Line
	for _, tok := range tokens {
		if tok.Line != line {
			b.WriteString("\n")
			line = tok.Line
		} else if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(tok.Text)
	}
	return b.String()
}
