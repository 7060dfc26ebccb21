package federation

import (
	"testing"

	"github.com/coredns/caddy"
)

// FuzzParse feeds arbitrary Corefile text to the federation block's parser:
// it must refuse or accept, never panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"federation {\nmyfed example.com\n}",
		"federation cluster.local {\nmyfed example.com\nttl 60\ngrace 5s\nzone z\nregion r\nnode n\nfallthrough\n}",
		"federation {\nttl example.com\n}",
		"federation {\nmember a b c d\n}",
		"federation {\n}\nfederation {\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(_ *testing.T, input string) {
		_, _ = parse(caddy.NewTestController("dns", input))
	})
}
