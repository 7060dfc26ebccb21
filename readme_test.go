package federation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"

	"k8s.io/client-go/rest"
)

// TestReadme checks README.md as CoreDNS checks its plugins' READMEs: the
// sections start Name, Description, Syntax, Examples, and every corefile
// block loads, each federation block of it through the plugin's real
// parser. The operator guides in docs/ get the same check of their corefile
// blocks. Kubeconfig files are stood in for: the examples name those of a
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
	if n := len(corefileBlocks(string(data))); n < 2 {
		t.Fatalf("Expected README's corefile examples, found %d", n)
	}
	checkCorefileBlocks(t, "README.md", string(data))

	docs, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range docs {
		doc, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checkCorefileBlocks(t, name, string(doc))
	}
}

// checkCorefileBlocks loads every corefile block of the Markdown text of
// the file name, each federation block of it through the plugin's parser.
func checkCorefileBlocks(t *testing.T, name, text string) {
	t.Helper()
	for i, block := range corefileBlocks(text) {
		servers, err := caddyfile.Parse(name, strings.NewReader(block), nil)
		if err != nil {
			t.Errorf("%s: Corefile %d does not parse: %v\n%s", name, i, err, block)
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
				t.Errorf("%s: Corefile %d: the federation block is refused: %v\n%s", name, i, err, block)
			}
		}
	}
}

// corefileBlocks returns the text of a Markdown file's ~~~ corefile blocks.
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
