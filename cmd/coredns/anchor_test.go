//go:build !plugincfg

package main

import (
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

func TestFederationSitsBeforeCache(t *testing.T) {
	d := insertBefore(dnsserver.Directives, "federation", anchor)
	f, c, k := slices.Index(d, "federation"), slices.Index(d, "cache"), slices.Index(d, "kubernetes")
	if f < 0 || c != f+1 || k < c {
		t.Errorf("Expected federation directly before cache, and so before kubernetes, got positions %d, %d and %d", f, c, k)
	}
}
