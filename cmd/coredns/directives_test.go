package main

import (
	"slices"
	"testing"
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

func TestMoveBefore(t *testing.T) {
	in := []string{"cache", "federation", "rewrite", "dnssec", "kubernetes"}
	if got := moveBefore(in, "dnssec", "federation"); !slices.Equal(got, []string{"cache", "dnssec", "federation", "rewrite", "kubernetes"}) {
		t.Errorf("Expected dnssec moved before federation, got %v", got)
	}
	if !slices.Equal(in, []string{"cache", "federation", "rewrite", "dnssec", "kubernetes"}) {
		t.Errorf("Expected the input unchanged, got %v", in)
	}
	before := []string{"dnssec", "cache", "federation"}
	if got := moveBefore(before, "dnssec", "federation"); !slices.Equal(got, before) {
		t.Errorf("Expected dnssec left before federation, got %v", got)
	}
	if got := moveBefore([]string{"a", "b"}, "dnssec", "federation"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Expected no change without dnssec, got %v", got)
	}
}
