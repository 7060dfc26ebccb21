package main

import (
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

func TestInsertBefore(t *testing.T) {
	got := insertBefore([]string{"a", "kubernetes", "b"}, "federation", "kubernetes")
	if !slices.Equal(got, []string{"a", "federation", "kubernetes", "b"}) {
		t.Errorf("Expected federation before kubernetes, got %v", got)
	}
	if got := insertBefore(got, "federation", "kubernetes"); len(got) != 4 {
		t.Errorf("Expected no second insertion, got %v", got)
	}
	if got := insertBefore([]string{"a"}, "federation", "kubernetes"); !slices.Equal(got, []string{"a", "federation"}) {
		t.Errorf("Expected federation appended without kubernetes, got %v", got)
	}
}

func TestFederationSitsBeforeCache(t *testing.T) {
	d := insertBefore(dnsserver.Directives, "federation", anchor)
	f, c, k := slices.Index(d, "federation"), slices.Index(d, "cache"), slices.Index(d, "kubernetes")
	if f < 0 || c != f+1 || k < c {
		t.Errorf("Expected federation directly before cache, and so before kubernetes, got positions %d, %d and %d", f, c, k)
	}
}
